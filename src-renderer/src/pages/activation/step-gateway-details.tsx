import { useMemo } from 'react';
import { useCompleteActivation, usePendingActivationKey } from '../../bridge/use-activation.js';
import { useAppInfo } from '../../bridge/use-app-info.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { Field } from '../../components/field.js';
import { LoadingState } from '../../components/loading-state.js';
import { useNow } from '../../components/use-now.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { gatewayDetailsProblem, keyStepProblem } from './wizard-checks.js';
import { WizardActions } from './wizard-actions.js';

/** Zones this browser knows, for suggestions (validation uses Intl directly). */
function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/** Step 3: the gateway's name and time zone, then activation (waits until the gateway is connected). */
export function StepGatewayDetails() {
  const info = useAppInfo();
  const key = usePendingActivationKey();
  const now = useNow(1_000);
  const { draft, updateDraft, next } = useWizardStore();
  const complete = useCompleteActivation();
  const zones = useMemo(knownTimeZones, []);
  const timezone = draft.timezone ?? info.data?.hostTimezone ?? '';
  const blocker = keyStepProblem(key, now) ?? gatewayDetailsProblem(draft.name, timezone);
  const activate = () =>
    complete.mutate(
      { name: draft.name.trim(), timezone, ...(draft.controlPlane === 'remote' ? { apiToken: draft.apiToken.trim() } : {}) },
      { onSuccess: next },
    );
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">Gateway details</h2>
      <Field label="Gateway name" hint="How the gateway appears in the control plane, e.g. paris-office.">
        {(c) => <input {...c} type="text" autoComplete="off" value={draft.name} onChange={(e) => updateDraft({ name: e.target.value })} disabled={complete.isPending} />}
      </Field>
      <Field label="Time zone" hint="IANA name; bandwidth schedules and maintenance windows are read in it.">
        {(c) => (
          <>
            <input {...c} type="text" list="timezones" autoComplete="off" spellCheck={false} value={timezone} onChange={(e) => updateDraft({ timezone: e.target.value })} disabled={complete.isPending} />
            <datalist id="timezones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </>
        )}
      </Field>
      {complete.isPending && <LoadingState label="Activating: submitting the key and waiting for the gateway to connect to the control plane…" />}
      {complete.isError && <ErrorBanner title="Activation failed" error={complete.error} />}
      <WizardActions label={complete.isPending ? 'Activating…' : 'Activate'} blocker={blocker} pending={complete.isPending} onNext={activate} />
    </section>
  );
}
