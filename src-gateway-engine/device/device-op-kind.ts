/** The kinds of BlockDevice operations, as counted by filters (stats, fault injection). */
export const DEVICE_OP_KINDS = ['read', 'write', 'flush', 'trim', 'writeZeroes', 'blockStatus'] as const;

/** One BlockDevice operation kind. */
export type DeviceOpKind = (typeof DEVICE_OP_KINDS)[number];
