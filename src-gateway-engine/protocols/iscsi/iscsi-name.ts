/**
 * iSCSI names (RFC 7143 §4.2.7): iqn.YYYY-MM.reversed-domain[:anything], eui. with 16 hex
 * digits, or naa. with 16 or 32 hex digits; at most 223 bytes, compared case-insensitively.
 */
const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[\x21-\x7e]+)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/i;

export function isIscsiName(name: string): boolean {
  return Buffer.byteLength(name) <= 223 && (IQN.test(name) || EUI.test(name) || NAA.test(name));
}
