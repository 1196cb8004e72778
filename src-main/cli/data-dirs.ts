/** Where Tidegate keeps its data when no --data-dir is given (XDG data folder). */
import { homedir } from 'node:os';
import { join } from 'node:path';

function xdgDataHome(): string {
  return process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
}

/** The gateway's data dir: $TIDEGATE_DATA_DIR, else ~/.local/share/tidegate. */
export function defaultDataDir(): string {
  return process.env.TIDEGATE_DATA_DIR ?? join(xdgDataHome(), 'tidegate');
}

/** A stand-alone control plane's state folder: $TIDEGATE_CONTROL_PLANE_DIR, else ~/.local/share/tidegate-control-plane. */
export function defaultControlPlaneDir(): string {
  return process.env.TIDEGATE_CONTROL_PLANE_DIR ?? join(xdgDataHome(), 'tidegate-control-plane');
}
