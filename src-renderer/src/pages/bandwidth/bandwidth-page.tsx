import { useState } from 'react';
import type { BandwidthSettings } from '../../../../src-main/ipc/ipc-contract.js';
import { useBandwidth, useConfigureBandwidth } from '../../bridge/use-bandwidth.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { Field } from '../../components/field.js';
import { formatLimit } from '../../components/format/format-bytes.js';
import { bytesPerSecToRateDraft, rateToBytesPerSec, type RateDraft } from '../../components/format/size-units.js';
import { LoadingState } from '../../components/loading-state.js';
import { PageHeader } from '../../components/page-header.js';
import { RateInput } from '../../components/rate-input.js';
import { StatCard } from '../../components/stat-card.js';
import { newWindowId, ScheduleEditor } from './schedule-editor.js';
import { checkSchedule, type ScheduleWindowDraft } from './schedule-validation.js';
import { WeekGrid } from './week-grid.js';

/** The upload limit: a default, weekly windows with their own limits, and the limit in force now. */
export function BandwidthPage() {
  const bandwidth = useBandwidth();
  // Owned here: the form remounts with fresh drafts when the saved settings change.
  const configure = useConfigureBandwidth();
  return (
    <>
      <PageHeader title="Bandwidth" description="Limit how fast the gateway uploads to the object store, by time of week." />
      {bandwidth.isPending ? (
        <LoadingState label="Loading bandwidth settings…" />
      ) : bandwidth.isError ? (
        <ErrorBanner title="The bandwidth settings could not be loaded" error={bandwidth.error} onRetry={() => void bandwidth.refetch()} />
      ) : (
        <>
          <div className="card-grid three">
            <StatCard label="Limit now" value={<span data-testid="effective-limit" data-bytes-per-sec={bandwidth.data.effectiveBytesPerSec}>{formatLimit(bandwidth.data.effectiveBytesPerSec)}</span>} detail="In force at this moment" />
            <StatCard label="Outside windows" value={formatLimit(bandwidth.data.bytesPerSec)} detail="The default limit" />
            <StatCard label="Time zone" value={bandwidth.data.timezone} detail="The schedule is read in this zone" />
          </div>
          <BandwidthForm key={JSON.stringify([bandwidth.data.bytesPerSec, bandwidth.data.schedule])} settings={bandwidth.data} configure={configure} />
        </>
      )}
    </>
  );
}

function toDrafts(settings: BandwidthSettings): ScheduleWindowDraft[] {
  return settings.schedule.map((e) => ({ id: newWindowId(), days: [...e.days], start: e.start, end: e.end, rate: bytesPerSecToRateDraft(e.bytesPerSec) }));
}

function BandwidthForm({ settings, configure }: { settings: BandwidthSettings; configure: ReturnType<typeof useConfigureBandwidth> }) {
  const [defaultRate, setDefaultRate] = useState<RateDraft>(() => bytesPerSecToRateDraft(settings.bytesPerSec));
  const [windows, setWindows] = useState<ScheduleWindowDraft[]>(() => toDrafts(settings));
  const defaultBytes = rateToBytesPerSec(defaultRate);
  const check = checkSchedule(windows);
  const blocker =
    defaultBytes === null ? 'Enter a default limit (0 = unlimited).' : check.overlaps[0] ?? (Object.keys(check.windowErrors).length > 0 ? 'Fix the problems shown in the windows.' : null);
  return (
    <form
      className="panel"
      aria-labelledby="schedule-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (blocker === null && defaultBytes !== null && check.entries) configure.mutate({ bytesPerSec: defaultBytes, schedule: check.entries });
      }}
    >
      <h2 id="schedule-title">Limits</h2>
      <Field label="Default limit" hint="Applies outside every window; 0 = unlimited.">
        {(c) => <RateInput control={c} label="Default limit" value={defaultRate} onChange={setDefaultRate} />}
      </Field>
      <h3>Weekly windows</h3>
      <ScheduleEditor windows={windows} check={check} onChange={setWindows} />
      {check.entries && <WeekGrid entries={check.entries} defaultBytesPerSec={defaultBytes ?? settings.bytesPerSec} />}
      {configure.isError && <ErrorBanner title="The bandwidth settings were not saved" error={configure.error} />}
      {configure.isSuccess && !configure.isPending && <p className="muted" role="status">Saved.</p>}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={blocker !== null || configure.isPending}>
          {configure.isPending ? 'Saving…' : 'Save limits'}
        </button>
        {blocker !== null && <span className="form-blocker">{blocker}</span>}
      </div>
    </form>
  );
}
