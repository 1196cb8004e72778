import { useState } from 'react';
import type { StorageInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { useConfigureStorage, useStorageInfo } from '../../bridge/use-storage.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { bytesToSizeDraft, type SizeDraft } from '../../components/format/size-units.js';
import { LoadingState } from '../../components/loading-state.js';
import { PageHeader } from '../../components/page-header.js';
import { INITIAL_WIZARD_DRAFT, type SizingDraft } from '../../state/wizard-store.js';
import { AllocationCard } from './allocation-card.js';
import { CapacityFields, checkCapacityDrafts } from './capacity-fields.js';
import { computeSizingGuidance, parseSizingDraft, roundUpGiB } from './sizing-guidance.js';
import { SizingGuidancePanel } from './sizing-guidance-panel.js';
import { StorageWarnings } from './storage-warnings.js';

/** Cache and upload-buffer allocations, their disks, warnings, and new capacities. */
export function StoragePage() {
  const info = useStorageInfo();
  return (
    <>
      <PageHeader title="Storage" description="Local disk space for the read cache and the upload buffer (the write log)." />
      {info.isPending ? (
        <LoadingState label="Loading storage…" />
      ) : info.isError ? (
        <ErrorBanner title="Storage could not be described" error={info.error} onRetry={() => void info.refetch()} />
      ) : (
        <StorageDetails info={info.data} />
      )}
    </>
  );
}

function StorageDetails({ info }: { info: StorageInfo }) {
  return (
    <>
      <StorageWarnings warnings={info.warnings} />
      <div className="card-grid two">
        <AllocationCard title="Cache" alloc={info.cache} testId="allocation-cache" />
        <AllocationCard title="Upload buffer" alloc={info.uploadBuffer} testId="allocation-upload-buffer" />
      </div>
      <CapacityEditor info={info} />
    </>
  );
}

function CapacityEditor({ info }: { info: StorageInfo }) {
  const configure = useConfigureStorage();
  const [cache, setCache] = useState<SizeDraft>(() => bytesToSizeDraft(info.cache.capacityBytes));
  const [uploadBuffer, setUploadBuffer] = useState<SizeDraft>(() => bytesToSizeDraft(info.uploadBuffer.capacityBytes));
  const [sizing, setSizing] = useState<SizingDraft>(INITIAL_WIZARD_DRAFT.sizing);
  const parsed = parseSizingDraft(sizing);
  const guidance = parsed.inputs ? computeSizingGuidance(parsed.inputs) : null;
  const check = checkCapacityDrafts(info, cache, uploadBuffer, guidance);
  const unchanged = check.cacheBytes === info.cache.capacityBytes && check.uploadBufferBytes === info.uploadBuffer.capacityBytes;
  const blocker = check.errors[0] ?? (unchanged ? 'Nothing changed yet.' : null);
  return (
    <>
      <section className="panel" aria-labelledby="capacity-title">
        <h2 id="capacity-title">Capacities</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (blocker === null && check.cacheBytes !== null && check.uploadBufferBytes !== null) {
              configure.mutate({ cacheBytes: check.cacheBytes, uploadBufferBytes: check.uploadBufferBytes });
            }
          }}
        >
          <CapacityFields
            info={info}
            cache={cache}
            uploadBuffer={uploadBuffer}
            guidance={guidance}
            onChange={(next) => {
              if (next.cache) setCache(next.cache);
              if (next.uploadBuffer) setUploadBuffer(next.uploadBuffer);
            }}
          />
          {configure.isError && <ErrorBanner title="The capacities were not changed" error={configure.error} />}
          {configure.isSuccess && !configure.isPending && <p className="muted" role="status">Capacities applied.</p>}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={blocker !== null || configure.isPending}>
              {configure.isPending ? 'Applying…' : 'Apply capacities'}
            </button>
            {blocker !== null && <span className="form-blocker">{blocker}</span>}
          </div>
        </form>
      </section>
      <SizingGuidancePanel
        value={sizing}
        onChange={(patch) => setSizing((s) => ({ ...s, ...patch }))}
        onUse={(g) => {
          setUploadBuffer(bytesToSizeDraft(roundUpGiB(g.uploadBufferBytes)));
          setCache(bytesToSizeDraft(roundUpGiB(g.minCacheBytes)));
        }}
      />
    </>
  );
}
