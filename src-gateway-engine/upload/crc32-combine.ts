/**
 * CRC-32 (the zlib / `node:zlib` `crc32` polynomial) of a concatenation from the CRCs of its
 * parts, without reading the data again — zlib's `crc32_combine` (the multiply-mod-p form of
 * zlib 1.2.12+), which Node does not expose. Used by the packer: the log's record CRCs,
 * verified when the segment is read back, give a data object's CRC for free.
 */

const POLY = 0xedb88320; // reflected
/** X2N[k] = x^(2^k) mod p. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
}

/** a(x) * b(x) mod p(x), reflected polynomials as unsigned 32-bit integers. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    if (m === 0) break;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(8 * bytes) mod p: the operator that shifts a CRC over `bytes` zero bytes. */
function shiftOperator(bytes: number): number {
  let p = 0x80000000; // x^0
  let n = bytes;
  let k = 3; // 8 bits per byte
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

const operators = new Map<number, number>();

/** crc32(A ‖ B) from crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB === 0) return crcA >>> 0;
  let op = operators.get(lengthB);
  if (op === undefined) {
    op = shiftOperator(lengthB);
    if (operators.size < 4096) operators.set(lengthB, op); // block-multiple lengths repeat
  }
  return (multModP(op, crcA) ^ crcB) >>> 0;
}
