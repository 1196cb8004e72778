/**
 * The SendTargets text answer (RFC 7143 §13.3, Appendix C): for each target a TargetName
 * followed by its TargetAddress values (`host:port,tpgt`; IPv6 hosts in brackets).
 *
 *   Discovery session: `All` → every target given; an iSCSI name → that target only;
 *                      empty → Reject (a discovery session has no "own" target).
 *   Normal session:    empty → the session's target (the caller passes just that one);
 *                      an iSCSI name → that target if given; `All` → Reject.
 *
 * The caller passes only targets this initiator may see. An unknown name yields no keys.
 * Repeated keys are expected here, so encode with encodeTextKeys (which keeps them).
 */

/** A target and its portals, as SendTargets reports them. */
export interface SendTargetsEntry {
  name: string;
  /** `ip:port,tpgt`. */
  addresses: string[];
}

/** Builds the key=value pairs answering `SendTargets=<query>`. */
export function sendTargetsResponse(query: string, targets: readonly SendTargetsEntry[], inDiscoverySession: boolean): [string, string][] {
  let selected: readonly SendTargetsEntry[];
  if (query === 'All') {
    if (!inDiscoverySession) return [['SendTargets', 'Reject']];
    selected = targets;
  } else if (query === '') {
    if (inDiscoverySession) return [['SendTargets', 'Reject']];
    selected = targets;
  } else {
    // iSCSI names compare case-insensitively (RFC 3722).
    const wanted = query.toLowerCase();
    selected = targets.filter((t) => t.name.toLowerCase() === wanted);
  }
  const out: [string, string][] = [];
  for (const t of selected) {
    out.push(['TargetName', t.name]);
    for (const a of t.addresses) out.push(['TargetAddress', a]);
  }
  return out;
}
