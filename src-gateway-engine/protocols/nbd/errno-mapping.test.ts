import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../../errors/index.js';
import { nbdErrno } from './errno-mapping.js';
import {
  NBD_CMD_BLOCK_STATUS,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOSPC,
  NBD_ENOTSUP,
  NBD_ESHUTDOWN,
} from './protocol-constants.js';

const err = (code: ErrorCode) => new TidegateError(code, 'x');

describe('nbdErrno', () => {
  it('maps out-of-range to ENOSPC for writes and EINVAL otherwise', () => {
    expect(nbdErrno(err(ErrorCode.OutOfRange), NBD_CMD_WRITE)).toBe(NBD_ENOSPC);
    expect(nbdErrno(err(ErrorCode.OutOfRange), NBD_CMD_WRITE_ZEROES)).toBe(NBD_ENOSPC);
    expect(nbdErrno(err(ErrorCode.OutOfRange), NBD_CMD_READ)).toBe(NBD_EINVAL);
    expect(nbdErrno(err(ErrorCode.OutOfRange), NBD_CMD_TRIM)).toBe(NBD_EINVAL);
    expect(nbdErrno(err(ErrorCode.OutOfRange), NBD_CMD_BLOCK_STATUS)).toBe(NBD_EINVAL);
  });

  it('maps the other stable codes', () => {
    expect(nbdErrno(err(ErrorCode.NoSpace), NBD_CMD_WRITE)).toBe(NBD_ENOSPC);
    expect(nbdErrno(err(ErrorCode.NotSupported), NBD_CMD_TRIM)).toBe(NBD_ENOTSUP);
    expect(nbdErrno(err(ErrorCode.InvalidArgument), NBD_CMD_READ)).toBe(NBD_EINVAL);
    expect(nbdErrno(err(ErrorCode.ShuttingDown), NBD_CMD_READ)).toBe(NBD_ESHUTDOWN);
    for (const code of [ErrorCode.IoError, ErrorCode.VolumeFailed, ErrorCode.StoreUnavailable, ErrorCode.Corrupt]) {
      expect(nbdErrno(err(code), NBD_CMD_WRITE)).toBe(NBD_EIO);
    }
  });

  it('maps anything that is not a TidegateError to EIO', () => {
    expect(nbdErrno(new Error('boom'), NBD_CMD_READ)).toBe(NBD_EIO);
    expect(nbdErrno('string', NBD_CMD_READ)).toBe(NBD_EIO);
    expect(nbdErrno(undefined, NBD_CMD_READ)).toBe(NBD_EIO);
  });
});
