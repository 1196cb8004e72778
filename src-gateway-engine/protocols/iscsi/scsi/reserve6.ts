import type { ItNexus } from './scsi-contract.js';

/**
 * The SPC-2 RESERVE(6)/RELEASE(6) reservation: one I_T nexus holds the whole LU. Not
 * persistent: it ends with RELEASE from its holder, the holder's I_T nexus loss (logout,
 * dropped connection, session reinstatement), a LUN reset or a target reset.
 * How it interacts with persistent reservations is PersistentReservations' business.
 */
export class LegacyReservation {
  #holder: ItNexus | null = null;

  /** The holding nexus, if any. */
  get holder(): ItNexus | null {
    return this.#holder;
  }

  /** True when `nexus` holds it. */
  heldBy(nexus: ItNexus): boolean {
    return this.#holder !== null && this.#holder.id === nexus.id;
  }

  /** True when some other nexus holds it. */
  heldByOther(nexus: ItNexus): boolean {
    return this.#holder !== null && this.#holder.id !== nexus.id;
  }

  /** Take it (re-reserving by the holder is fine); false when another nexus holds it. */
  reserve(nexus: ItNexus): boolean {
    if (this.heldByOther(nexus)) return false;
    this.#holder = nexus;
    return true;
  }

  /** Give it up; from a nexus that does not hold it this is a no-op (SPC-2 7.19). */
  release(nexus: ItNexus): void {
    if (this.heldBy(nexus)) this.#holder = null;
  }

  /** Drop it whatever holds it (resets). */
  clear(): void {
    this.#holder = null;
  }
}
