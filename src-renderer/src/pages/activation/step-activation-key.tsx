import { useState } from 'react';
import { useBeginActivation, usePendingActivationKey } from '../../bridge/use-activation.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { formatCountdown } from '../../components/format/format-age.js';
import { useNow } from '../../components/use-now.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { beginRequest, keyStepProblem } from './wizard-checks.js';
import { WizardActions } from './wizard-actions.js';

/** Step 2: the activation key, big and copyable, with the time left to use it. */
export function StepActivationKey() {
  const key = usePendingActivationKey();
  const now = useNow(1_000);
  const { draft, next } = useWizardStore();
  const begin = useBeginActivation();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const blocker = keyStepProblem(key, now);
  const expired = key !== null && Date.parse(key.expiresAt) <= now;
  const copy = async () => {
    if (!key) return;
    try {
      await navigator.clipboard.writeText(key.activationKey);
      setCopied('yes');
    } catch {
      // No clipboard permission (e.g. plain http): the key stays selectable.
      setCopied('failed');
    }
  };
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">Activation key</h2>
      {key ? (
        <>
          <p className="muted">
            The gateway registered with <span className="mono">{key.controlPlaneUrl}</span>. The next step submits this key for you; to activate from elsewhere, enter it in the control plane or run{' '}
            <code>tidegate activate</code>.
          </p>
          <div className="activation-key-box">
            <output className="activation-key" data-testid="activation-key" aria-label="Activation key">
              {key.activationKey}
            </output>
            <button type="button" className="button" onClick={() => void copy()}>
              Copy key
            </button>
          </div>
          <p role="status" className={expired ? 'field-error' : 'muted'}>
            {expired ? (
              'This key has expired.'
            ) : (
              <>
                Expires in <strong data-testid="activation-key-expiry">{formatCountdown(Date.parse(key.expiresAt) - now)}</strong>
              </>
            )}
            {copied === 'yes' && ' · Copied to the clipboard.'}
            {copied === 'failed' && ' · Copying is not allowed here: select the key and copy it by hand.'}
          </p>
        </>
      ) : (
        <p className="muted">No activation key yet.</p>
      )}
      {begin.isError && <ErrorBanner title="No new activation key" error={begin.error} />}
      <WizardActions
        label="Continue"
        blocker={blocker}
        onNext={next}
        extra={
          <button type="button" className="button" disabled={begin.isPending} onClick={() => begin.mutate(beginRequest(draft))}>
            {begin.isPending ? 'Requesting…' : 'Request a new key'}
          </button>
        }
      />
    </section>
  );
}
