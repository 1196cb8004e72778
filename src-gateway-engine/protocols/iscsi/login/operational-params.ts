/**
 * Operational parameter negotiation, target side (RFC 7143 §6.2, §13; RFC 7144 for
 * iSCSIProtocolLevel/TaskReporting). The initiator offers, we answer every key it sent:
 *
 *   list keys (digests, TaskReporting)  → the first value in ITS list that we support, else Reject
 *   Boolean OR (InitialR2T, Data*InOrder) / AND (ImmediateData)  → the combined result
 *   numeric min / max                    → min(offer, our limit) / max(offer, our value)
 *   MaxRecvDataSegmentLength             → declarative, one per direction: no answer; we
 *                                          declare ours once (it bounds what the initiator sends)
 *   malformed or out-of-range offer      → Reject (the parameter keeps its previous value)
 *   unknown keys, X-* / X# extensions    → NotUnderstood
 *   IFMarker/OFMarker (obsolete)         → No; IFMarkInt/OFMarkInt → Reject (RFC 7143 §13.26)
 *   session-wide keys in a Discovery session, or on a non-leading connection → Irrelevant
 *
 * Fatal (Login Reject, initiator error 0x0200): a key negotiated twice in one login, a key
 * only a target may send, a security or full-feature-only key in the operational stage, a
 * malformed or too-small MaxRecvDataSegmentLength declaration.
 *
 * We never originate offers that need an answer: every limit is at least the RFC default,
 * so a key the initiator leaves out keeps a default we accept, and the target can always
 * transit when the initiator asks to.
 */
import { LoginStatuses, type LoginStatus } from './login-status.js';
import { parseBoolean, parseList, parseNumber, formatBoolean } from './text-keys.js';

/** A digest the initiator can choose. */
export type Digest = 'None' | 'CRC32C';

/** The negotiated parameters of one connection and its session. */
export interface OperationalParams {
  headerDigest: Digest;
  dataDigest: Digest;
  maxConnections: number;
  initialR2T: boolean;
  immediateData: boolean;
  /** Largest data segment the initiator may send us: what we declared (8192 if never declared). */
  maxRecvDataSegmentLength: number;
  /** Largest data segment we may send: the initiator's declaration (8192 if it made none), capped by our limit. */
  maxXmitDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxOutstandingR2T: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  errorRecoveryLevel: number;
  iscsiProtocolLevel: number;
  taskReporting: string;
}

/** Values in force when a key is never negotiated (RFC 7143 §13, RFC 7144). */
export const RFC_DEFAULT_PARAMS: Readonly<OperationalParams> = Object.freeze({
  headerDigest: 'None',
  dataDigest: 'None',
  maxConnections: 1,
  initialR2T: true,
  immediateData: true,
  maxRecvDataSegmentLength: 8192,
  maxXmitDataSegmentLength: 8192,
  maxBurstLength: 262144,
  firstBurstLength: 65536,
  defaultTime2Wait: 2,
  defaultTime2Retain: 20,
  maxOutstandingR2T: 1,
  dataPDUInOrder: true,
  dataSequenceInOrder: true,
  errorRecoveryLevel: 0,
  iscsiProtocolLevel: 1,
  taskReporting: 'RFC3720',
});

/** What this target supports. Every bound must be ≥ the RFC default (see file comment). */
export interface TargetLimits {
  headerDigests: readonly Digest[];
  dataDigests: readonly Digest[];
  /** Declared once as our MaxRecvDataSegmentLength. */
  maxRecvDataSegmentLength: number;
  /** Cap on the data segments we send, whatever the initiator declares. */
  maxXmitDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
  maxConnections: number;
  /** Our InitialR2T vote (OR): true = unsolicited data-out is never allowed. */
  initialR2T: boolean;
  /** Our ImmediateData vote (AND) when the initiator offers the key. */
  immediateData: boolean;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  errorRecoveryLevel: number;
  iscsiProtocolLevel: number;
}

/** Tidegate's limits. */
export const DEFAULT_TARGET_LIMITS: Readonly<TargetLimits> = Object.freeze({
  headerDigests: ['None', 'CRC32C'] as Digest[],
  dataDigests: ['None', 'CRC32C'] as Digest[],
  maxRecvDataSegmentLength: 262144,
  maxXmitDataSegmentLength: 262144,
  maxBurstLength: 16777215, // 16 MiB - 1: the RFC maximum (2^24 - 1)
  firstBurstLength: 262144,
  maxOutstandingR2T: 16,
  maxConnections: 1,
  // Writes up to FirstBurstLength travel with the command (immediate data) or right after
  // it (unsolicited Data-Out): no R2T round trip.
  initialR2T: false,
  immediateData: true,
  defaultTime2Wait: 2,
  defaultTime2Retain: 20,
  errorRecoveryLevel: 0,
  iscsiProtocolLevel: 1,
});

const MAX_24 = 16777215;

/** Throws if a limit would make an un-negotiated RFC default unacceptable, or is outside the RFC range. */
export function validateTargetLimits(l: TargetLimits): void {
  const d = RFC_DEFAULT_PARAMS;
  const problems: string[] = [];
  const range = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${name}=${v} must be in ${lo}..${hi}`);
  };
  range('maxRecvDataSegmentLength', l.maxRecvDataSegmentLength, 512, MAX_24);
  range('maxXmitDataSegmentLength', l.maxXmitDataSegmentLength, d.maxXmitDataSegmentLength, MAX_24);
  range('maxBurstLength', l.maxBurstLength, d.maxBurstLength, MAX_24);
  range('firstBurstLength', l.firstBurstLength, d.firstBurstLength, l.maxBurstLength);
  range('maxOutstandingR2T', l.maxOutstandingR2T, 1, 65535);
  range('maxConnections', l.maxConnections, 1, 65535);
  range('defaultTime2Wait', l.defaultTime2Wait, 0, 3600);
  range('defaultTime2Retain', l.defaultTime2Retain, 0, 3600);
  range('errorRecoveryLevel', l.errorRecoveryLevel, 0, 2);
  range('iscsiProtocolLevel', l.iscsiProtocolLevel, 0, 31);
  if (!l.headerDigests.includes('None') || !l.dataDigests.includes('None')) problems.push('digest lists must include None (the default)');
  if (problems.length > 0) throw new Error(`invalid iSCSI target limits: ${problems.join('; ')}`);
}

/** Where a key may legitimately appear. */
export type KeyClass =
  | 'login-declarative' // InitiatorName, InitiatorAlias, TargetName, SessionType: the negotiator's
  | 'security' // AuthMethod, CHAP_*: security stage only
  | 'operational'
  | 'target-only' // keys only a target sends
  | 'full-feature-only'
  | 'unknown';

const LOGIN_DECLARATIVE = new Set(['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType']);
const SECURITY = new Set(['AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C', 'CHAP_N', 'CHAP_R']);
const TARGET_ONLY = new Set(['TargetAlias', 'TargetAddress', 'TargetPortalGroupTag']);
const FULL_FEATURE_ONLY = new Set(['SendTargets']);

type Handler = (value: string, p: OperationalParams, l: TargetLimits) => string | undefined;

/** Answers a numeric key with min/max against a bound; Reject when malformed or out of range. */
function numeric(lo: number, hi: number, apply: (n: number, p: OperationalParams, l: TargetLimits) => number): Handler {
  return (value, p, l) => {
    try {
      return String(apply(parseNumber(value, lo, hi), p, l));
    } catch {
      return 'Reject';
    }
  };
}

function boolean(apply: (b: boolean, p: OperationalParams, l: TargetLimits) => boolean): Handler {
  return (value, p, l) => {
    try {
      return formatBoolean(apply(parseBoolean(value), p, l));
    } catch {
      return 'Reject';
    }
  };
}

function firstSupported<T extends string>(value: string, supported: readonly T[]): T | undefined {
  try {
    return parseList(value).find((v): v is T => (supported as readonly string[]).includes(v));
  } catch {
    return undefined;
  }
}

/** Operational keys; the flag says whether the key is session-wide (LO, irrelevant to Discovery). */
const OPERATIONAL: Record<string, { sessionWide: boolean; handle: Handler }> = {
  HeaderDigest: {
    sessionWide: false,
    handle: (v, p, l) => {
      const d = firstSupported(v, l.headerDigests);
      if (d) p.headerDigest = d;
      return d ?? 'Reject';
    },
  },
  DataDigest: {
    sessionWide: false,
    handle: (v, p, l) => {
      const d = firstSupported(v, l.dataDigests);
      if (d) p.dataDigest = d;
      return d ?? 'Reject';
    },
  },
  MaxConnections: { sessionWide: true, handle: numeric(1, 65535, (n, p, l) => (p.maxConnections = Math.min(n, l.maxConnections))) },
  InitialR2T: { sessionWide: true, handle: boolean((b, p, l) => (p.initialR2T = b || l.initialR2T)) },
  ImmediateData: { sessionWide: true, handle: boolean((b, p, l) => (p.immediateData = b && l.immediateData)) },
  MaxBurstLength: {
    sessionWide: true,
    handle: numeric(512, MAX_24, (n, p, l) => (p.maxBurstLength = Math.min(n, l.maxBurstLength))),
  },
  FirstBurstLength: {
    sessionWide: true,
    handle: numeric(512, MAX_24, (n, p, l) => (p.firstBurstLength = Math.min(n, l.firstBurstLength, p.maxBurstLength))),
  },
  DefaultTime2Wait: { sessionWide: true, handle: numeric(0, 3600, (n, p, l) => (p.defaultTime2Wait = Math.max(n, l.defaultTime2Wait))) },
  DefaultTime2Retain: { sessionWide: true, handle: numeric(0, 3600, (n, p, l) => (p.defaultTime2Retain = Math.min(n, l.defaultTime2Retain))) },
  MaxOutstandingR2T: { sessionWide: true, handle: numeric(1, 65535, (n, p, l) => (p.maxOutstandingR2T = Math.min(n, l.maxOutstandingR2T))) },
  // OR with our Yes: always Yes (we deliver and expect data in order).
  DataPDUInOrder: { sessionWide: true, handle: boolean((_b, p) => (p.dataPDUInOrder = true)) },
  DataSequenceInOrder: { sessionWide: true, handle: boolean((_b, p) => (p.dataSequenceInOrder = true)) },
  ErrorRecoveryLevel: { sessionWide: true, handle: numeric(0, 2, (n, p, l) => (p.errorRecoveryLevel = Math.min(n, l.errorRecoveryLevel))) },
  iSCSIProtocolLevel: { sessionWide: true, handle: numeric(0, 31, (n, p, l) => (p.iscsiProtocolLevel = Math.min(n, l.iscsiProtocolLevel))) },
  TaskReporting: {
    sessionWide: true,
    handle: (v, p) => {
      const t = firstSupported(v, ['RFC3720']);
      if (t) p.taskReporting = t;
      return t ?? 'Reject';
    },
  },
  // Markers are obsolete (RFC 7143 §13.26): "No" is the answer RFC 3720 initiators (Windows) expect.
  IFMarker: { sessionWide: false, handle: boolean(() => false) },
  OFMarker: { sessionWide: false, handle: boolean(() => false) },
  IFMarkInt: { sessionWide: false, handle: () => 'Reject' },
  OFMarkInt: { sessionWide: false, handle: () => 'Reject' },
  // iSER (RFC 7145) is not offered on TCP.
  RDMAExtensions: { sessionWide: true, handle: boolean(() => false) },
};

/** Session-wide keys that still matter in a Discovery session. */
const RELEVANT_TO_DISCOVERY = new Set(['DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel', 'iSCSIProtocolLevel']);
// iSER-only declaratives: never apply on TCP.
const ALWAYS_IRRELEVANT = new Set(['InitiatorRecvDataSegmentLength', 'TargetRecvDataSegmentLength']);

/** Which group a key belongs to (the negotiator routes keys with this). */
export function classifyKey(key: string): KeyClass {
  if (LOGIN_DECLARATIVE.has(key)) return 'login-declarative';
  if (SECURITY.has(key)) return 'security';
  if (TARGET_ONLY.has(key)) return 'target-only';
  if (FULL_FEATURE_ONLY.has(key)) return 'full-feature-only';
  if (key === 'MaxRecvDataSegmentLength' || ALWAYS_IRRELEVANT.has(key) || Object.hasOwn(OPERATIONAL, key)) return 'operational';
  return 'unknown';
}

/** Per-login context the caller keeps across requests. */
export interface OperationalContext {
  sessionType: 'Normal' | 'Discovery';
  /** False when the login adds or reinstates a connection of an existing session (TSIH ≠ 0). */
  leading: boolean;
  /** Keys already negotiated in this login; updated in place. */
  negotiated: Set<string>;
  /** Append our MaxRecvDataSegmentLength declaration to the answer (do it once per connection). */
  declare: boolean;
}

/** The outcome of one request's operational keys. */
export interface OperationalResult {
  /** Answers, in offer order, then our declarations. */
  responses: [string, string][];
  /** The parameters after this request (a new object; the input is not modified). */
  params: OperationalParams;
  /** Set when the offer is unacceptable: the login must end with this status. */
  error?: { status: LoginStatus; message: string };
}

/** The special answers a peer sends back; a target that made no offer ignores them. */
const ANSWER_CONSTANTS = new Set(['NotUnderstood', 'Irrelevant', 'Reject']);

/**
 * Negotiates the operational (and unknown) keys of one Login Request in the operational
 * stage. Login-declarative keys are skipped (the login negotiator owns them).
 */
export function negotiateOperational(
  offer: ReadonlyMap<string, string>,
  current: Readonly<OperationalParams>,
  limits: Readonly<TargetLimits>,
  ctx: OperationalContext,
): OperationalResult {
  const params: OperationalParams = { ...current };
  const responses: [string, string][] = [];
  const fail = (message: string): OperationalResult => ({ responses: [], params: { ...current }, error: { status: LoginStatuses.initiatorError, message } });

  for (const [key, value] of offer) {
    const cls = classifyKey(key);
    if (cls === 'login-declarative') continue;
    if (cls === 'unknown') {
      responses.push([key, 'NotUnderstood']);
      continue;
    }
    if (cls === 'security') return fail(`${key} is a security key, sent in the operational stage`);
    if (cls === 'target-only') return fail(`${key} may only be sent by a target`);
    if (cls === 'full-feature-only') return fail(`${key} is not allowed during login`);
    // RFC 7143 §6.2: negotiating a key twice in one login is an initiator error.
    if (ctx.negotiated.has(key)) return fail(`${key} negotiated more than once`);
    ctx.negotiated.add(key);

    if (key === 'MaxRecvDataSegmentLength') {
      // Declarative: no answer. Larger than the RFC range is clamped (harmless); smaller is an error.
      let n: number;
      try {
        n = parseNumber(value, 512);
      } catch {
        return fail(`MaxRecvDataSegmentLength=${value} is not a number ≥ 512`);
      }
      params.maxXmitDataSegmentLength = Math.min(n, MAX_24, limits.maxXmitDataSegmentLength);
      continue;
    }
    if (ANSWER_CONSTANTS.has(value)) continue;
    if (ALWAYS_IRRELEVANT.has(key)) {
      responses.push([key, 'Irrelevant']);
      continue;
    }
    const def = OPERATIONAL[key]!;
    const irrelevant = def.sessionWide && (!ctx.leading || (ctx.sessionType === 'Discovery' && !RELEVANT_TO_DISCOVERY.has(key)));
    responses.push([key, irrelevant ? 'Irrelevant' : (def.handle(value, params, limits) ?? 'Reject')]);
  }

  // FirstBurstLength MUST NOT exceed MaxBurstLength: an initiator offering FBL > its own MBL
  // (or lowering MBL after FBL was settled) gets FBL clamped, and the answer says so.
  if (params.firstBurstLength > params.maxBurstLength) {
    params.firstBurstLength = params.maxBurstLength;
    const fbl = responses.find(([k, v]) => k === 'FirstBurstLength' && v !== 'Irrelevant' && v !== 'Reject');
    if (fbl) fbl[1] = String(params.firstBurstLength);
  }

  if (ctx.declare) {
    params.maxRecvDataSegmentLength = limits.maxRecvDataSegmentLength;
    responses.push(['MaxRecvDataSegmentLength', String(limits.maxRecvDataSegmentLength)]);
  }
  return { responses, params };
}
