import { ErrorCode, TidegateError } from '../../errors/index.js';
import {
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
  NBD_EINVAL,
  NBD_EIO,
  NBD_ENOSPC,
  NBD_ENOTSUP,
  NBD_ESHUTDOWN,
} from './protocol-constants.js';

/**
 * THE mapping from an error to the NBD errno sent on the wire (nbdkit keeps exactly one
 * such function). It switches on the stable error code, never on message text. A range
 * past the end is EINVAL, except for commands that write data, where the protocol asks
 * for ENOSPC. Anything unexpected is EIO.
 */
export function nbdErrno(err: unknown, command: number): number {
  if (!(err instanceof TidegateError)) return NBD_EIO;
  switch (err.code) {
    case ErrorCode.OutOfRange:
      return command === NBD_CMD_WRITE || command === NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC : NBD_EINVAL;
    case ErrorCode.InvalidArgument:
      return NBD_EINVAL;
    case ErrorCode.NoSpace:
      return NBD_ENOSPC;
    case ErrorCode.NotSupported:
      return NBD_ENOTSUP;
    case ErrorCode.ShuttingDown:
      return NBD_ESHUTDOWN;
    default:
      return NBD_EIO;
  }
}
