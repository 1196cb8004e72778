import type { IscsiSession } from './iscsi-session.js';

/** The live sessions of one server, by TSIH and by the (initiator, ISID, target) that identifies a nexus. */
export class SessionRegistry {
  private readonly byTsih = new Map<number, IscsiSession>();
  private nextTsih = 1;

  /** A fresh TSIH (never 0) not in use. */
  allocateTsih(): number {
    for (;;) {
      const tsih = this.nextTsih;
      this.nextTsih = this.nextTsih >= 0xffff ? 1 : this.nextTsih + 1;
      if (!this.byTsih.has(tsih)) return tsih;
    }
  }

  add(session: IscsiSession): void {
    this.byTsih.set(session.tsih, session);
  }

  remove(session: IscsiSession): void {
    if (this.byTsih.get(session.tsih) === session) this.byTsih.delete(session.tsih);
  }

  get(tsih: number): IscsiSession | undefined {
    return this.byTsih.get(tsih);
  }

  /** The session a new login with this identity reinstates (RFC 7143 §6.3.5), if any. */
  findSame(initiatorName: string, isid: Buffer, targetName: string | undefined): IscsiSession | undefined {
    for (const s of this.byTsih.values()) {
      if (s.initiatorName === initiatorName && s.isid.equals(isid) && s.target?.name === targetName) return s;
    }
    return undefined;
  }

  all(): IscsiSession[] {
    return [...this.byTsih.values()];
  }

  /** Sessions logged in to one target (for target resets). */
  forTarget(targetName: string): IscsiSession[] {
    return [...this.byTsih.values()].filter((s) => s.target?.name === targetName);
  }
}
