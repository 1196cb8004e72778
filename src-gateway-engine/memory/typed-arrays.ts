/** A typed-array column grown: `bigger` with `old`'s elements copied to its start. */
export function grown<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old as never);
  return bigger;
}
