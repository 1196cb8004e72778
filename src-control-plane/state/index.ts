/**
 * The control plane's state layer: one interface (`ControlPlaneState`), two implementations
 * (`openEmbeddedState` for one server, `openRedisState` for many), and the key and token
 * helpers the servers need to speak about what is stored.
 */
export type * from './control-plane-state.js';
export { openEmbeddedState, type EmbeddedStateOptions } from './embedded-state.js';
export { openRedisState, type RedisStateOptions } from './redis-state.js';
export { StateUnavailableError } from './state-unavailable-error.js';
export type { BackgroundErrorHandler } from './background-error-handler.js';
export { ACTIVATION_KEY_LENGTH, CROCKFORD_ALPHABET, formatActivationKey, newActivationKey, normaliseActivationKey } from './activation-key-format.js';
export { API_TOKEN_PREFIX, hashApiToken, newAccountId, newApiToken } from './api-token.js';
export { SAMPLE_RESOLUTION_MS } from './sample-time.js';
export { DEFAULT_KEY_PREFIX } from './redis-keys.js';
