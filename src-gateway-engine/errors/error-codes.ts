/**
 * The catalogue of stable error codes. Every error that crosses a boundary (NBD errno,
 * SCSI sense, CLI exit line, HTTP body) starts as one of these; the wire mappings live
 * beside each protocol and switch on `code`, never on message text.
 */
export const ErrorCode = {
  /** An argument is malformed (bad size string, bad name, unaligned when alignment is required). */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** An offset/length falls outside the device. */
  OutOfRange: 'OUT_OF_RANGE',
  /** The operation is not supported by this device or store. */
  NotSupported: 'NOT_SUPPORTED',
  /** The named thing (volume, object, export) does not exist. */
  NotFound: 'NOT_FOUND',
  /** The named thing already exists. */
  AlreadyExists: 'ALREADY_EXISTS',
  /** A local disk is full (write log, cache, stored-volume disk). */
  NoSpace: 'NO_SPACE',
  /** A local I/O error. */
  IoError: 'IO_ERROR',
  /** The volume stopped itself after a failed fsync or a lost ownership; it needs a restart. */
  VolumeFailed: 'VOLUME_FAILED',
  /** Another gateway owns this volume (fencing token mismatch). */
  VolumeOwned: 'VOLUME_OWNED',
  /** The object store refused or could not be reached (after retries). */
  StoreUnavailable: 'STORE_UNAVAILABLE',
  /** The bucket does not exist (any more). */
  BucketMissing: 'BUCKET_MISSING',
  /** The store rejected our credentials. */
  AccessDenied: 'ACCESS_DENIED',
  /** A conditional object write lost its race. */
  PreconditionFailed: 'PRECONDITION_FAILED',
  /** Stored data failed its checksum or format check. */
  Corrupt: 'CORRUPT',
  /** The operation timed out. */
  Timeout: 'TIMEOUT',
  /** The engine or volume is shutting down. */
  ShuttingDown: 'SHUTTING_DOWN',
  /** The control plane could not be reached, timed out or failed (5xx); worth retrying. */
  ControlPlaneUnavailable: 'CONTROL_PLANE_UNAVAILABLE',
  /** The control plane answered with an error (its own code is in the message and on ControlPlaneError). */
  ControlPlaneRefused: 'CONTROL_PLANE_REFUSED',
  /** The control plane's TLS certificate does not chain to the CA this gateway trusts. */
  ControlPlaneUntrusted: 'CONTROL_PLANE_UNTRUSTED',
  /** The gateway has no control-plane credentials yet (run `tidegate activate`). */
  NotActivated: 'NOT_ACTIVATED',
  /** A secret file (the gateway's private key) is readable by group or others; it is refused. */
  UnsafePermissions: 'UNSAFE_PERMISSIONS',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
