import type { ComponentType } from 'react';
import { useActivationStatus } from '../../bridge/use-activation.js';
import { PageHeader } from '../../components/page-header.js';
import { useWizardStore, WIZARD_STEPS, type WizardStep } from '../../state/wizard-store.js';
import { StepActivationKey } from './step-activation-key.js';
import { StepControlPlane } from './step-control-plane.js';
import { StepFirstVolume } from './step-first-volume.js';
import { StepGatewayDetails } from './step-gateway-details.js';
import { StepStorage } from './step-storage.js';

const STEP_VIEWS: Record<WizardStep, ComponentType> = {
  1: StepControlPlane,
  2: StepActivationKey,
  3: StepGatewayDetails,
  4: StepStorage,
  5: StepFirstVolume,
};

/** The activation wizard: control plane → key → name and zone → storage → first volume. */
export function ActivationPage() {
  const step = useWizardStore((s) => s.step);
  const goTo = useWizardStore((s) => s.goTo);
  const status = useActivationStatus();
  const StepView = STEP_VIEWS[step];
  const activated = status.data?.activated === true;
  return (
    <>
      <PageHeader title="Activate gateway" description="Connect the gateway to a control plane, size its disks and create a first volume." />
      {activated && step <= 3 && (
        <div className="banner banner-info" role="status">
          <div>
            This gateway is already activated{status.data?.name ? ` as ${status.data.name}` : ''}
            {status.data?.controlPlaneUrl ? ` at ${status.data.controlPlaneUrl}` : ''}. Going through these steps again re-activates it.
          </div>
          <button type="button" className="button" onClick={() => goTo(4)}>
            Skip to storage setup
          </button>
        </div>
      )}
      <ol className="wizard-steps" aria-label="Steps">
        {WIZARD_STEPS.map((label, i) => {
          const n = i + 1;
          return (
            <li key={label} aria-current={n === step ? 'step' : undefined} className={n < step ? 'done' : n === step ? 'current' : ''}>
              <span className="step-number" aria-hidden="true">
                {n}
              </span>
              {label}
              {n < step && <span className="visually-hidden"> (done)</span>}
            </li>
          );
        })}
      </ol>
      <div className="panel wizard-panel">
        <StepView />
      </div>
    </>
  );
}
