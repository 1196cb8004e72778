import type { StorageInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { Field } from '../../components/field.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { sizeToBytes, type SizeDraft } from '../../components/format/size-units.js';
import { SizeInput } from '../../components/size-input.js';
import { checkCapacities, type CapacityCheck } from './capacity-validation.js';
import type { SizingGuidance } from './sizing-guidance.js';

/** Checks the typed capacities; used by the fields and by whoever owns the Apply button. */
export function checkCapacityDrafts(info: StorageInfo, cache: SizeDraft, uploadBuffer: SizeDraft, guidance: SizingGuidance | null): CapacityCheck & { cacheBytes: number | null; uploadBufferBytes: number | null } {
  const cacheBytes = sizeToBytes(cache);
  const uploadBufferBytes = sizeToBytes(uploadBuffer);
  return { ...checkCapacities(info, cacheBytes, uploadBufferBytes, guidance), cacheBytes, uploadBufferBytes };
}

/** The two capacity inputs with their filesystems' free space, and every problem and warning. */
export function CapacityFields(props: { info: StorageInfo; cache: SizeDraft; uploadBuffer: SizeDraft; guidance: SizingGuidance | null; onChange(next: { cache?: SizeDraft; uploadBuffer?: SizeDraft }): void }) {
  const { info, cache, uploadBuffer, guidance, onChange } = props;
  const check = checkCapacityDrafts(info, cache, uploadBuffer, guidance);
  return (
    <div>
      <div className="field-grid">
        <Field label="Cache capacity" hint={`${info.cache.path} — ${formatBytes(info.cache.filesystemFreeBytes)} free of ${formatBytes(info.cache.filesystemBytes)}`}>
          {(c) => <SizeInput control={c} label="Cache capacity" value={cache} onChange={(next) => onChange({ cache: next })} />}
        </Field>
        <Field label="Upload buffer capacity" hint={`${info.uploadBuffer.path} — ${formatBytes(info.uploadBuffer.filesystemFreeBytes)} free of ${formatBytes(info.uploadBuffer.filesystemBytes)}`}>
          {(c) => <SizeInput control={c} label="Upload buffer capacity" value={uploadBuffer} onChange={(next) => onChange({ uploadBuffer: next })} />}
        </Field>
      </div>
      {check.errors.length > 0 && (
        <ul className="problem-list field-error" aria-label="Problems">
          {check.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {check.warnings.length > 0 && (
        <ul className="problem-list tone-text-warning" aria-label="Warnings">
          {check.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
