import { useCreateVolume, useVolumes } from '../../bridge/use-volumes.js';
import { navigate } from '../../state/navigation-store.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { VolumeCreateForm } from '../volumes/volume-create-form.js';

/** Step 5: the first volume (the same form as the Volumes page), then on to the dashboard. */
export function StepFirstVolume() {
  const volumes = useVolumes();
  const create = useCreateVolume();
  const back = useWizardStore((s) => s.back);
  const reset = useWizardStore((s) => s.reset);
  const finish = () => {
    reset();
    navigate('dashboard');
  };
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title">Create the first volume</h2>
      {create.isSuccess ? (
        <div className="banner banner-success" role="status">
          <div>
            Volume <strong className="mono">{create.data.name}</strong> is ready: connect an initiator to <span className="mono">{create.data.iscsi.targetName}</span>
            {create.data.nbdExport ? (
              <>
                {' '}
                or an NBD client to export <span className="mono">{create.data.nbdExport}</span>
              </>
            ) : null}
            .
          </div>
          <button type="button" className="button button-primary" onClick={finish}>
            Go to the dashboard
          </button>
        </div>
      ) : (
        <>
          <VolumeCreateForm existingNames={volumes.data?.map((v) => v.name) ?? []} pending={create.isPending} error={create.error} submitLabel="Create volume" onSubmit={(req) => create.mutate(req)} />
          <div className="form-actions">
            <button type="button" className="button" onClick={back}>
              Back
            </button>
            <button type="button" className="button button-link" onClick={finish}>
              Skip — go to the dashboard
            </button>
          </div>
        </>
      )}
    </section>
  );
}
