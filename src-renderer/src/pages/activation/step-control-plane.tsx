import { useActivationStatus, useBeginActivation } from '../../bridge/use-activation.js';
import { useAppInfo } from '../../bridge/use-app-info.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { Field } from '../../components/field.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { beginRequest, controlPlaneStepProblem } from './wizard-checks.js';
import { WizardActions } from './wizard-actions.js';

/** Step 1: the embedded control plane, or a remote one (URL, optional CA, API token). */
export function StepControlPlane() {
  const info = useAppInfo();
  const status = useActivationStatus();
  const { draft, updateDraft, next, goTo } = useWizardStore();
  const begin = useBeginActivation();
  const embeddedUrl = info.data?.embeddedControlPlaneUrl ?? null;
  const blocker = controlPlaneStepProblem(draft, info.data);
  const pendingKey = status.data?.activation ?? null;
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">Choose the control plane</h2>
      <p className="muted">The control plane activates the gateway, keeps a management connection to it and raises alerts.</p>
      {info.isError && <ErrorBanner title="The gateway’s settings could not be loaded" error={info.error} onRetry={() => void info.refetch()} />}
      <fieldset className="fieldset">
        <legend>Control plane</legend>
        <label className="choice">
          <input type="radio" name="control-plane" checked={draft.controlPlane === 'embedded'} onChange={() => updateDraft({ controlPlane: 'embedded' })} disabled={info.isSuccess && embeddedUrl === null} />
          <span>
            <strong>Embedded</strong> — the control plane running inside this gateway
            {embeddedUrl ? <span className="mono small"> ({embeddedUrl})</span> : info.isSuccess ? <span className="muted"> (not running on this gateway)</span> : null}
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="control-plane" checked={draft.controlPlane === 'remote'} onChange={() => updateDraft({ controlPlane: 'remote' })} />
          <span>
            <strong>Remote</strong> — a control plane elsewhere, by URL
          </span>
        </label>
      </fieldset>
      {draft.controlPlane === 'remote' && (
        <>
          <Field label="Control plane URL" hint="https://host:port">
            {(c) => <input {...c} type="url" autoComplete="url" spellCheck={false} placeholder="https://control.example.com:9443" value={draft.controlPlaneUrl} onChange={(e) => updateDraft({ controlPlaneUrl: e.target.value })} />}
          </Field>
          <Field label="CA certificate (PEM, optional)" hint="Paste it to trust the control plane from the first connection; without it the first certificate seen is pinned.">
            {(c) => <textarea {...c} rows={5} spellCheck={false} className="mono" placeholder="-----BEGIN CERTIFICATE-----" value={draft.caCertPem} onChange={(e) => updateDraft({ caCertPem: e.target.value })} />}
          </Field>
          <Field label="API token" hint="A token of the account the gateway joins; used once, to submit the activation key.">
            {(c) => <input {...c} type="password" autoComplete="off" value={draft.apiToken} onChange={(e) => updateDraft({ apiToken: e.target.value })} />}
          </Field>
        </>
      )}
      {pendingKey && (
        <div className="banner banner-info">
          <div>
            An activation key is already pending (<span className="mono">{pendingKey.activationKey}</span> at {pendingKey.controlPlaneUrl}).
          </div>
          <button type="button" className="button" onClick={() => goTo(2)}>
            Continue with it
          </button>
        </div>
      )}
      {begin.isError && <ErrorBanner title="No activation key: registering with the control plane failed" error={begin.error} />}
      <WizardActions label={begin.isPending ? 'Contacting the control plane…' : 'Get activation key'} blocker={blocker} pending={begin.isPending} onNext={() => begin.mutate(beginRequest(draft), { onSuccess: next })} />
    </section>
  );
}
