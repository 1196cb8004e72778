import { describe, expect, it } from 'vitest';
import { alertKey } from '../alert-decision.js';
import { AlertRule } from '../alert-rule.js';
import { sampleVolume, statusSample } from '../test-support/status-samples.js';
import { writeLogError } from './write-log-error.js';

const gw = { id: 'gw1', name: 'office-1' };

describe('write-log-error', () => {
  it('opens a critical alert per failed volume, quoting its error', () => {
    const sample = statusSample({
      volumes: [
        sampleVolume('db', { state: 'failed', error: 'write log fsync failed: EIO' }),
        sampleVolume('files', { state: 'degraded', error: 'uploads failing' }),
      ],
    });
    expect(writeLogError(gw, sample)).toEqual([
      {
        action: 'open',
        key: alertKey(AlertRule.WriteLogError, 'gw1', 'db'),
        severity: 'critical',
        value: null,
        message: 'Volume db on gateway office-1 failed and stopped serving I/O: write log fsync failed: EIO',
      },
      { action: 'close', key: alertKey(AlertRule.WriteLogError, 'gw1', 'files'), reason: 'volume is degraded again' },
    ]);
  });

  it('says so when the gateway gave no error text', () => {
    const [d] = writeLogError(gw, statusSample({ volumes: [sampleVolume('db', { state: 'failed', error: '  ' })] }));
    expect(d).toMatchObject({ action: 'open', message: 'Volume db on gateway office-1 failed and stopped serving I/O (the gateway reported no error text)' });
  });

  it('shortens a very long error text', () => {
    const [d] = writeLogError(gw, statusSample({ volumes: [sampleVolume('db', { state: 'failed', error: 'x'.repeat(5000) })] }));
    expect(d?.action === 'open' && d.message.length).toBeLessThan(600);
  });

  it('closes for every state other than failed', () => {
    for (const state of ['available', 'degraded', 'throttled'] as const) {
      expect(writeLogError(gw, statusSample({ volumes: [sampleVolume('db', { state })] }))[0]?.action).toBe('close');
    }
  });
});
