import type { RemoteCommand } from './control-wire.js';

/**
 * The commands the control plane may run, as a value so requests can be checked at run time;
 * typed as a record over `RemoteCommand` so a command added to the engine's API must be
 * listed (or excluded in control-wire.ts) before this compiles.
 */
const REMOTE_COMMANDS: { readonly [M in RemoteCommand]: true } = Object.freeze({
  status: true,
  'volume.create': true,
  'volume.list': true,
  'volume.delete': true,
  'volume.sync': true,
  'bandwidth.set': true,
  'volume.iscsi': true,
  'logs.recent': true,
  'metrics.history': true,
  'storage.describe': true,
  'storage.configure': true,
  'bandwidth.get': true,
  'bandwidth.configure': true,
});

/** True when the control plane may ask for `method`. */
export function isRemoteCommand(method: unknown): method is RemoteCommand {
  return typeof method === 'string' && Object.hasOwn(REMOTE_COMMANDS, method);
}
