/**
 * The engine commands a control plane may send a gateway (control-wire.ts `RemoteCommand`),
 * as a runtime list for request validation. The type checks below fail to compile when the
 * engine adds or removes a command, so this list cannot drift from the wire contract.
 */
import type { RemoteCommand } from '../../src-gateway-engine/control/control-wire.js';

/** Every RemoteCommand, in a stable order. */
export const REMOTE_COMMANDS = [
  'status',
  'volume.create',
  'volume.list',
  'volume.delete',
  'volume.sync',
  'bandwidth.set',
  'volume.iscsi',
  'logs.recent',
  'metrics.history',
  'storage.describe',
  'storage.configure',
  'bandwidth.get',
  'bandwidth.configure',
] as const satisfies readonly RemoteCommand[];

type Listed = (typeof REMOTE_COMMANDS)[number];
/** Compile-time proof that the list names every RemoteCommand. */
export type RemoteCommandsAreComplete = [Exclude<RemoteCommand, Listed>] extends [never] ? true : never;
const complete: RemoteCommandsAreComplete = true;
void complete;

/** True for a method a gateway accepts over its management connection. */
export function isRemoteCommand(method: unknown): method is RemoteCommand {
  return typeof method === 'string' && (REMOTE_COMMANDS as readonly string[]).includes(method);
}
