import { useConfigureStorage, useStorageInfo } from '../../bridge/use-storage.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { bytesToSizeDraft } from '../../components/format/size-units.js';
import { LoadingState } from '../../components/loading-state.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { CapacityFields, checkCapacityDrafts } from '../storage/capacity-fields.js';
import { computeSizingGuidance, parseSizingDraft, roundUpGiB } from '../storage/sizing-guidance.js';
import { SizingGuidancePanel } from '../storage/sizing-guidance-panel.js';
import { StorageWarnings } from '../storage/storage-warnings.js';
import { WizardActions } from './wizard-actions.js';

/** Step 4: cache and upload-buffer capacities, with sizing guidance and the disks' free space. */
export function StepStorage() {
  const info = useStorageInfo();
  const configure = useConfigureStorage();
  const { draft, updateDraft, updateSizing, next } = useWizardStore();
  const parsed = parseSizingDraft(draft.sizing);
  const guidance = parsed.inputs ? computeSizingGuidance(parsed.inputs) : null;
  if (info.isPending) return <LoadingState label="Loading storage…" />;
  if (info.isError) return <ErrorBanner title="Storage could not be described" error={info.error} onRetry={() => void info.refetch()} />;
  const cache = draft.cacheSize ?? bytesToSizeDraft(info.data.cache.capacityBytes);
  const uploadBuffer = draft.uploadBufferSize ?? bytesToSizeDraft(info.data.uploadBuffer.capacityBytes);
  const check = checkCapacityDrafts(info.data, cache, uploadBuffer, guidance);
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">Allocate storage</h2>
      <p className="muted">The cache holds recently used blocks; the upload buffer (write log) holds writes until they are uploaded.</p>
      <StorageWarnings warnings={info.data.warnings} />
      <SizingGuidancePanel
        value={draft.sizing}
        onChange={updateSizing}
        onUse={(g) => updateDraft({ uploadBufferSize: bytesToSizeDraft(roundUpGiB(g.uploadBufferBytes)), cacheSize: bytesToSizeDraft(roundUpGiB(g.minCacheBytes)) })}
      />
      <CapacityFields
        info={info.data}
        cache={cache}
        uploadBuffer={uploadBuffer}
        guidance={guidance}
        onChange={(n) => updateDraft({ ...(n.cache ? { cacheSize: n.cache } : {}), ...(n.uploadBuffer ? { uploadBufferSize: n.uploadBuffer } : {}) })}
      />
      {configure.isError && <ErrorBanner title="The capacities were not applied" error={configure.error} />}
      <WizardActions
        label={configure.isPending ? 'Applying…' : 'Apply and continue'}
        blocker={check.errors[0] ?? null}
        pending={configure.isPending}
        onNext={() => configure.mutate({ cacheBytes: check.cacheBytes!, uploadBufferBytes: check.uploadBufferBytes! }, { onSuccess: next })}
      />
    </section>
  );
}
