import type { IpcEventName, IpcInvokeChannel } from '../../../src-main/ipc/ipc-contract.js';

// The renderer may only `import type` from main, so it keeps its own runtime lists of names.
// `satisfies Record<…, true>` makes tsc fail when a channel is added to or removed from the
// contract and not here (a missing key or an excess key are both errors).
const INVOKE_CHANNEL_SET = {
  'app.info': true,
  'gateway.snapshot': true,
  'activation.status': true,
  'activation.begin': true,
  'activation.complete': true,
  'volumes.list': true,
  'volumes.create': true,
  'volumes.delete': true,
  'volumes.sync': true,
  'volumes.setIscsiAccess': true,
  'storage.describe': true,
  'storage.configure': true,
  'bandwidth.get': true,
  'bandwidth.configure': true,
  'metrics.history': true,
  'logs.recent': true,
  'diagnostics.supportBundle': true,
} as const satisfies Record<IpcInvokeChannel, true>;

const EVENT_NAME_SET = {
  'metrics.sample': true,
  'gateway.snapshot': true,
  'volumes.syncProgress': true,
} as const satisfies Record<IpcEventName, true>;

/** Every invoke channel of the contract. */
export const INVOKE_CHANNELS = Object.keys(INVOKE_CHANNEL_SET) as IpcInvokeChannel[];

/** Every pushed event of the contract. */
export const EVENT_NAMES = Object.keys(EVENT_NAME_SET) as IpcEventName[];

/** True when `name` is an event of the contract (pushed messages are checked before fan-out). */
export function isEventName(name: unknown): name is IpcEventName {
  return typeof name === 'string' && Object.hasOwn(EVENT_NAME_SET, name);
}
