// The text-level iSCSI login phase: text keys, operational negotiation, CHAP, the login
// state machine and SendTargets. No sockets and no PDU bytes here.
export { parseTextKeys, encodeTextKeys, parseNumber, parseBinary, formatHex, parseBoolean, formatBoolean, parseList, TextKeyError, DEFAULT_TEXT_KEY_LIMITS } from './text-keys.js';
export type { TextKeyErrorReason, TextKeyLimits } from './text-keys.js';
export { LoginStatuses } from './login-status.js';
export type { LoginStatus } from './login-status.js';
export { negotiateOperational, classifyKey, validateTargetLimits, RFC_DEFAULT_PARAMS, DEFAULT_TARGET_LIMITS } from './operational-params.js';
export type { OperationalParams, TargetLimits, Digest, KeyClass, OperationalContext, OperationalResult } from './operational-params.js';
export { ChapAuthenticator, ChapChallengeRegistry, validateChapCredentials, hasMutualChap, chapMd5Response, CHAP_MD5, DEFAULT_CHAP_SECRET_RULES } from './chap.js';
export type { ChapCredentials, ChapCredentialProblem, ChapSecretRules, ChapStep, ChapOptions } from './chap.js';
export { LoginNegotiator } from './login-negotiator.js';
export type { LoginNegotiatorConfig, LoginRequestInput, LoginResponseOutput, LoginOutcome, TargetAccessPolicy, LoginStageCode } from './login-negotiator.js';
export { sendTargetsResponse } from './sendtargets.js';
export type { SendTargetsEntry } from './sendtargets.js';
