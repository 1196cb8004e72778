import { Field } from '../../components/field.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import type { SizingDraft } from '../../state/wizard-store.js';
import { computeSizingGuidance, parseSizingDraft, type SizingGuidance } from './sizing-guidance.js';

/** Sizing inputs and the resulting guidance; `onUse` copies the guidance into the capacity fields. */
export function SizingGuidancePanel({ value, onChange, onUse }: { value: SizingDraft; onChange(patch: Partial<SizingDraft>): void; onUse?: (g: SizingGuidance) => void }) {
  const parsed = parseSizingDraft(value);
  const guidance = parsed.inputs ? computeSizingGuidance(parsed.inputs) : null;
  return (
    <section className="panel" aria-labelledby="sizing-title">
      <h2 id="sizing-title">Sizing guidance</h2>
      <p className="muted">
        Upload buffer = (incoming − outgoing × compression) × seconds of writing a day; cache ≥ 1.1 × upload buffer.
      </p>
      <div className="field-grid">
        <Field label="Incoming writes (MB/s)" hint="Peak rate applications write.">
          {(c) => <input {...c} type="text" inputMode="decimal" value={value.incomingMBps} onChange={(e) => onChange({ incomingMBps: e.target.value })} />}
        </Field>
        <Field label="Outgoing upload (MB/s)" hint="What the link to the object store sustains.">
          {(c) => <input {...c} type="text" inputMode="decimal" value={value.outgoingMBps} onChange={(e) => onChange({ outgoingMBps: e.target.value })} />}
        </Field>
        <Field label="Compression factor" hint="1 = none; 2 = data halves.">
          {(c) => <input {...c} type="text" inputMode="decimal" value={value.compressionFactor} onChange={(e) => onChange({ compressionFactor: e.target.value })} />}
        </Field>
        <Field label="Write hours per day" hint="0 to 24.">
          {(c) => <input {...c} type="text" inputMode="decimal" value={value.writeHoursPerDay} onChange={(e) => onChange({ writeHoursPerDay: e.target.value })} />}
        </Field>
      </div>
      <div className="guidance-result" aria-live="polite" data-testid="sizing-guidance">
        {guidance ? (
          <>
            <p>
              Upload buffer at least <strong data-testid="guidance-upload-buffer" data-bytes={guidance.uploadBufferBytes}>{formatBytes(guidance.uploadBufferBytes)}</strong>; cache at least{' '}
              <strong data-testid="guidance-cache" data-bytes={guidance.minCacheBytes}>{formatBytes(guidance.minCacheBytes)}</strong>.
            </p>
            {guidance.fillRateMBps === 0 && <p className="muted">The link keeps up with the writes: the upload buffer only has to absorb bursts.</p>}
            {onUse && guidance.uploadBufferBytes > 0 && (
              <button type="button" className="button" onClick={() => onUse(guidance)}>
                Use these sizes
              </button>
            )}
          </>
        ) : (
          <p className="muted">{parsed.error}</p>
        )}
      </div>
    </section>
  );
}
