import type { EngineProcessState, VolumeInfo } from '../../../src-main/ipc/ipc-contract.js';
import type { Tone } from './stat-card.js';

/** Colour of an engine process state. */
export function engineTone(state: EngineProcessState['state']): Tone {
  switch (state) {
    case 'running':
      return 'good';
    case 'starting':
    case 'restarting':
    case 'stopping':
      return 'warning';
    case 'stopped':
      return 'neutral';
    case 'failed':
      return 'critical';
  }
}

/** Colour of a volume state: available / degraded (uploads failing) / throttled (buffer full) / failed. */
export function volumeTone(state: VolumeInfo['state']): Tone {
  switch (state) {
    case 'available':
      return 'good';
    case 'degraded':
      return 'warning';
    case 'throttled':
      return 'warning';
    case 'failed':
      return 'critical';
  }
}
