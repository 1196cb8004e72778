/** What the tray shows for the engine's state: tooltip, the state line of its menu, and which icon. Pure. */
import type { EngineProcessState } from '../ipc/ipc-contract.js';

/** The tray icons in resources/icons (tray-<kind>.png). */
export type TrayIconKind = 'running' | 'busy' | 'failed' | 'stopped';

/** The tray's view of one engine state. */
export interface TrayStatus {
  tooltip: string;
  stateLine: string;
  icon: TrayIconKind;
}

// Windows cuts tray tooltips at 127 characters; a menu line should not be wider than a screen.
const TOOLTIP_MAX = 127;
const STATE_LINE_MAX = 100;

/** The tray's tooltip, menu state line and icon for an engine state. */
export function trayStatus(s: EngineProcessState): TrayStatus {
  const why = s.lastError !== null ? `: ${s.lastError}` : '';
  switch (s.state) {
    case 'running':
      return view('Gateway running', `Engine running${s.pid !== null ? ` (pid ${s.pid})` : ''}`, 'running');
    case 'starting':
      return view('Gateway starting', 'Engine starting…', 'busy');
    case 'restarting':
      return view(`Gateway restarting${why}`, `Engine restarting (restart ${s.restarts})${why}`, 'busy');
    case 'stopping':
      return view('Gateway stopping', 'Engine stopping (flushing write logs)…', 'busy');
    case 'failed':
      return view(`Gateway failed${why}`, `Engine failed${why}`, 'failed');
    case 'stopped':
      return view('Gateway stopped', 'Engine stopped', 'stopped');
  }
}

function view(summary: string, stateLine: string, icon: TrayIconKind): TrayStatus {
  return { tooltip: cut(`Tidegate — ${summary}`, TOOLTIP_MAX), stateLine: cut(stateLine, STATE_LINE_MAX), icon };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
