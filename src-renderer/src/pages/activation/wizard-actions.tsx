import type { ReactNode } from 'react';
import { useWizardStore } from '../../state/wizard-store.js';

/**
 * Back and the step's primary action. The action is disabled while `blocker` is set, and the
 * blocker (why) is written next to it: a disabled button alone does not say what is missing.
 */
export function WizardActions({ label, blocker, pending = false, onNext, extra }: { label: string; blocker: string | null; pending?: boolean; onNext(): void; extra?: ReactNode }) {
  const step = useWizardStore((s) => s.step);
  const back = useWizardStore((s) => s.back);
  return (
    <div className="form-actions wizard-actions">
      {step > 1 && (
        <button type="button" className="button" onClick={back} disabled={pending}>
          Back
        </button>
      )}
      <button type="button" className="button button-primary" disabled={blocker !== null || pending} onClick={onNext}>
        {label}
      </button>
      {extra}
      {blocker !== null && (
        <span className="form-blocker" data-testid="wizard-blocker">
          {blocker}
        </span>
      )}
    </div>
  );
}
