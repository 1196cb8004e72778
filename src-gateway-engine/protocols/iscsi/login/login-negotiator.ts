/**
 * The login phase of ONE connection, as text (RFC 7143 §6.3, §11.12–11.13). The caller
 * decodes Login Request PDUs, reassembles their text across Continue PDUs and sends our
 * answers; this class decides stages and keys. State machine (CSG/NSG: 0 security,
 * 1 operational, 3 full feature):
 *
 *   start ─first PDU: identify (InitiatorName, SessionType, TargetName → policy)─┐
 *     ┌──────────────────────────────────────────────────────────────────────────┘
 *     ▼
 *   security (csg 0) ── AuthMethod → None: done │ CHAP: CHAP_A → CHAP_I/C, CHAP_N/R → verified
 *     │  T=1 and authentication done ──▶ NSG (1 or 3)        T=0 or CHAP unfinished ──▶ stay
 *     ▼
 *   operational (csg 1) ── negotiateOperational; declare MaxRecvDataSegmentLength once
 *     │  T=1 ──▶ NSG 3
 *     ▼
 *   full feature: `done` is set; the negotiator accepts nothing more
 *
 * We only transit when the initiator asked (T=1) and answer with its NSG. Any failure is
 * a Login Reject: the response carries the status and no keys, and the negotiator is
 * finished; the caller sends it and closes the connection.
 */
import { ChapAuthenticator, ChapChallengeRegistry, type ChapCredentials, type ChapOptions } from './chap.js';
import { LoginStatuses, type LoginStatus } from './login-status.js';
import { classifyKey, DEFAULT_TARGET_LIMITS, negotiateOperational, RFC_DEFAULT_PARAMS, validateTargetLimits, type OperationalParams, type TargetLimits } from './operational-params.js';
import { parseList } from './text-keys.js';

/** A login stage as coded in CSG/NSG. */
export type LoginStageCode = 0 | 1 | 3;

/** Who may log in to a target, and how. */
export interface TargetAccessPolicy {
  name: string;
  alias?: string;
  /** When set, CHAP is required. */
  chap?: ChapCredentials;
  /** Initiator names allowed (case-insensitive); empty or undefined = all. */
  allowedInitiators?: string[];
}

/** Injected configuration. */
export interface LoginNegotiatorConfig {
  targetPortalGroupTag: number;
  lookupTarget(name: string): TargetAccessPolicy | undefined;
  /** When set, Discovery sessions require CHAP with these credentials. */
  discoveryAuth?: ChapCredentials;
  limits?: Partial<TargetLimits>;
  /** Shared by every connection so reflected/replayed mutual challenges are caught across them. */
  chapRegistry?: ChapChallengeRegistry;
  chapOptions?: Omit<ChapOptions, 'registry'>;
  /** Login Requests allowed before we give up on a login that never finishes. */
  maxRequests?: number;
}

/** One Login Request, text already reassembled. */
export interface LoginRequestInput {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  isid: Buffer;
  tsih: number;
  cid: number;
  keys: ReadonlyMap<string, string>;
}

/** What the login established. */
export interface LoginOutcome {
  sessionType: 'Normal' | 'Discovery';
  initiatorName: string;
  initiatorAlias?: string;
  targetName?: string;
  /** The target's policy (Normal sessions). */
  target?: TargetAccessPolicy;
  authMethod: 'None' | 'CHAP';
  params: OperationalParams;
}

/** One Login Response to send. */
export interface LoginResponseOutput {
  transit: boolean;
  csg: LoginStageCode;
  /** Meaningful only when transit is set (0 otherwise: reserved). */
  nsg: LoginStageCode;
  statusClass: number;
  statusDetail: number;
  keys: [string, string][];
  /** Echoed unchanged from the request. */
  isid: Buffer;
  tsih: number;
  cid: number;
  /** Set on the response that enters the full feature phase. */
  done?: LoginOutcome;
  /** Why the login failed (for logs; never sent). */
  reason?: string;
}

type AuthState = 'unnegotiated' | 'chap' | 'done';

/** Drives the login of one connection. */
export class LoginNegotiator {
  private readonly limits: TargetLimits;
  private readonly registry: ChapChallengeRegistry;
  private stage: 0 | 1 | undefined;
  private finishedFlag = false;
  private requests = 0;

  private initiatorName = '';
  private initiatorAlias: string | undefined;
  private sessionType: 'Normal' | 'Discovery' = 'Normal';
  private targetName: string | undefined;
  private target: TargetAccessPolicy | undefined;
  private credentials: ChapCredentials | undefined;
  private leading = true;

  private auth: AuthState = 'unnegotiated';
  private authMethod: 'None' | 'CHAP' = 'None';
  private chap: ChapAuthenticator | undefined;
  private params: OperationalParams = { ...RFC_DEFAULT_PARAMS };
  private readonly negotiated = new Set<string>();
  private declaredOperational = false;
  private sentFirstResponse = false;

  constructor(private readonly config: LoginNegotiatorConfig) {
    this.limits = { ...DEFAULT_TARGET_LIMITS, ...config.limits };
    validateTargetLimits(this.limits);
    this.registry = config.chapRegistry ?? new ChapChallengeRegistry();
  }

  /** True once the login reached full feature phase or failed. */
  get finished(): boolean {
    return this.finishedFlag;
  }

  /** Handles one Login Request; returns the Login Response. */
  handle(req: LoginRequestInput): LoginResponseOutput {
    if (this.finishedFlag) throw new Error('login already finished');
    const csg = req.csg as LoginStageCode;
    const reply = (r: Omit<LoginResponseOutput, 'isid' | 'tsih' | 'cid'>): LoginResponseOutput => ({ ...r, isid: req.isid, tsih: req.tsih, cid: req.cid });
    const fail = (status: LoginStatus, reason: string): LoginResponseOutput => {
      this.finishedFlag = true;
      return reply({ transit: false, csg: csg === 0 || csg === 1 ? csg : 0, nsg: 0, ...status, keys: [], reason });
    };

    if (++this.requests > (this.config.maxRequests ?? 64)) return fail(LoginStatuses.initiatorError, 'too many login requests');
    if (req.csg !== 0 && req.csg !== 1) return fail(LoginStatuses.initiatorError, `invalid CSG ${req.csg}`);
    if (req.cont && req.transit) return fail(LoginStatuses.initiatorError, 'C and T bits both set');
    if (req.transit && ((req.nsg !== 1 && req.nsg !== 3) || req.nsg <= req.csg)) return fail(LoginStatuses.initiatorError, `invalid transition ${req.csg}→${req.nsg}`);
    if (this.stage !== undefined && req.csg !== this.stage) return fail(LoginStatuses.initiatorError, `CSG ${req.csg} but the login is in stage ${this.stage}`);
    // Text continues in the next PDU: acknowledge without consuming anything.
    if (req.cont) return reply({ transit: false, csg, nsg: 0, ...LoginStatuses.success, keys: [] });

    const identityError = this.stage === undefined ? this.identify(req) : this.checkRepeatedDeclaratives(req.keys);
    if (identityError) return fail(identityError.status, identityError.message);
    this.stage ??= req.csg as 0 | 1;

    const step = req.csg === 0 ? this.securityStep(req.keys) : this.operationalStep(req.keys);
    if ('error' in step) return fail(step.error.status, step.error.message);

    const keys = step.keys;
    // RFC 7143 §13.9: the target reports its portal group tag in the first response of a Normal session.
    if (!this.sentFirstResponse && this.sessionType === 'Normal') keys.unshift(['TargetPortalGroupTag', String(this.config.targetPortalGroupTag)]);
    this.sentFirstResponse = true;

    const transit = req.transit && (req.csg === 1 || this.auth === 'done');
    if (!transit) return reply({ transit: false, csg, nsg: 0, ...LoginStatuses.success, keys });
    const nsg = req.nsg as 1 | 3;
    if (nsg === 1) {
      this.stage = 1;
      return reply({ transit: true, csg, nsg, ...LoginStatuses.success, keys });
    }
    this.finishedFlag = true;
    return reply({ transit: true, csg, nsg, ...LoginStatuses.success, keys, done: this.outcome() });
  }

  /** First PDU: who is logging in, to what, and whether it may. */
  private identify(req: LoginRequestInput): { status: LoginStatus; message: string } | undefined {
    const keys = req.keys;
    this.leading = req.tsih === 0;
    const name = keys.get('InitiatorName');
    if (!name) return { status: LoginStatuses.missingParameter, message: 'InitiatorName missing from the first Login Request' };
    if (Buffer.byteLength(name) > 223) return { status: LoginStatuses.initiatorError, message: 'InitiatorName longer than 223 bytes' };
    this.initiatorName = name;
    this.initiatorAlias = keys.get('InitiatorAlias');

    const type = keys.get('SessionType') ?? 'Normal';
    if (type !== 'Normal' && type !== 'Discovery') return { status: LoginStatuses.sessionTypeNotSupported, message: `SessionType=${type}` };
    this.sessionType = type;

    if (type === 'Discovery') {
      this.credentials = this.config.discoveryAuth;
      return undefined;
    }
    const targetName = keys.get('TargetName');
    if (!targetName) return { status: LoginStatuses.missingParameter, message: 'TargetName missing from a Normal session login' };
    this.targetName = targetName;
    const target = this.config.lookupTarget(targetName);
    if (!target) return { status: LoginStatuses.targetNotFound, message: `no target ${targetName}` };
    const allowed = target.allowedInitiators;
    // iSCSI names are case-insensitive (RFC 3722 normalises them to lower case).
    if (allowed && allowed.length > 0 && !allowed.some((a) => a.toLowerCase() === name.toLowerCase())) {
      return { status: LoginStatuses.authorizationFailure, message: `${name} may not access ${targetName}` };
    }
    this.target = target;
    this.credentials = target.chap;
    return undefined;
  }

  /** Later PDUs may repeat a login declarative only with the same value. */
  private checkRepeatedDeclaratives(keys: ReadonlyMap<string, string>): { status: LoginStatus; message: string } | undefined {
    const established: [string, string | undefined][] = [
      ['InitiatorName', this.initiatorName],
      ['SessionType', this.sessionType],
      ['TargetName', this.targetName],
      ['InitiatorAlias', this.initiatorAlias],
    ];
    for (const [key, value] of established) {
      const now = keys.get(key);
      if (now === undefined) continue;
      if (key === 'InitiatorAlias' && value === undefined) this.initiatorAlias = now;
      else if (now !== value) return { status: LoginStatuses.initiatorError, message: `${key} changed during login` };
    }
    return undefined;
  }

  private securityStep(keys: ReadonlyMap<string, string>): { keys: [string, string][] } | { error: { status: LoginStatus; message: string } } {
    const out: [string, string][] = [];
    const authFail = (message: string) => ({ error: { status: LoginStatuses.authenticationFailure, message } });

    for (const [key] of keys) {
      const cls = classifyKey(key);
      if (cls === 'unknown') out.push([key, 'NotUnderstood']);
      else if (cls === 'operational' || cls === 'target-only' || cls === 'full-feature-only') {
        return { error: { status: LoginStatuses.initiatorError, message: `${key} is not allowed in the security stage` } };
      }
    }

    const offered = keys.get('AuthMethod');
    if (offered !== undefined) {
      if (this.auth !== 'unnegotiated') return { error: { status: LoginStatuses.initiatorError, message: 'AuthMethod negotiated twice' } };
      let methods: string[];
      try {
        methods = parseList(offered);
      } catch {
        return authFail(`malformed AuthMethod=${offered}`);
      }
      const ours = this.credentials ? 'CHAP' : 'None';
      if (!methods.includes(ours)) {
        return authFail(this.credentials ? `CHAP is required but AuthMethod=${offered}` : `no CHAP secret is configured but AuthMethod=${offered}`);
      }
      out.push(['AuthMethod', ours]);
      this.authMethod = ours;
      if (ours === 'None') this.auth = 'done';
      else {
        this.auth = 'chap';
        this.chap = new ChapAuthenticator(this.credentials!, { ...this.config.chapOptions, registry: this.registry });
      }
    } else if (this.auth === 'unnegotiated') {
      // An initiator that skips AuthMethod gets no authentication: only fine when none is required.
      if (this.credentials) return authFail('CHAP is required but the initiator did not offer AuthMethod');
      this.auth = 'done';
    }

    const hasChapKeys = [...keys.keys()].some((k) => k.startsWith('CHAP_'));
    if (hasChapKeys) {
      if (this.auth !== 'chap' || !this.chap) return authFail('CHAP keys without AuthMethod=CHAP');
      const chap = this.chap;
      // A response cannot come with the algorithm choice: it would answer a challenge not yet sent.
      if (keys.has('CHAP_A') && (keys.has('CHAP_N') || keys.has('CHAP_R'))) return authFail('CHAP_A and CHAP_N/CHAP_R in one request');
      const step = keys.has('CHAP_A') ? chap.selectAlgorithm(keys.get('CHAP_A')) : chap.verifyResponse(keys);
      if (!step.ok) return authFail(step.reason);
      out.push(...step.keys);
      if (chap.passed) this.auth = 'done';
    }
    return { keys: out };
  }

  private operationalStep(keys: ReadonlyMap<string, string>): { keys: [string, string][] } | { error: { status: LoginStatus; message: string } } {
    // Reaching here without finished authentication means the initiator skipped the security stage.
    if (this.auth !== 'done') {
      if (this.credentials) return { error: { status: LoginStatuses.authenticationFailure, message: 'CHAP is required but the initiator skipped the security stage' } };
      this.auth = 'done';
    }
    const declare = !this.declaredOperational;
    this.declaredOperational = true;
    const result = negotiateOperational(keys, this.params, this.limits, { sessionType: this.sessionType, leading: this.leading, negotiated: this.negotiated, declare });
    if (result.error) return { error: result.error };
    this.params = result.params;
    if (declare && this.sessionType === 'Normal' && this.target?.alias) result.responses.push(['TargetAlias', this.target.alias]);
    return { keys: result.responses };
  }

  private outcome(): LoginOutcome {
    return {
      sessionType: this.sessionType,
      initiatorName: this.initiatorName,
      ...(this.initiatorAlias !== undefined ? { initiatorAlias: this.initiatorAlias } : {}),
      ...(this.targetName !== undefined && this.sessionType === 'Normal' ? { targetName: this.targetName } : {}),
      ...(this.target ? { target: this.target } : {}),
      authMethod: this.authMethod,
      params: { ...this.params },
    };
  }
}
