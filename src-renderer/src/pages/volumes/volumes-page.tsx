import { useVolumes } from '../../bridge/use-volumes.js';
import { EmptyState } from '../../components/empty-state.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { LoadingState } from '../../components/loading-state.js';
import { PageHeader } from '../../components/page-header.js';
import { useDialogStore } from '../../state/dialog-store.js';
import { VolumeDialogs } from './volume-dialogs.js';
import { VolumesTable } from './volumes-table.js';

/** The gateway's volumes: create, delete, sync, and how each is doing. */
export function VolumesPage() {
  const volumes = useVolumes();
  const openDialog = useDialogStore((s) => s.open);
  const createButton = (
    <button type="button" className="button button-primary" onClick={() => openDialog({ kind: 'createVolume' })}>
      Create volume
    </button>
  );
  return (
    <>
      <PageHeader title="Volumes" description="Disks the office machines mount over iSCSI or NBD." actions={createButton} />
      {volumes.isPending ? (
        <LoadingState label="Loading volumes…" />
      ) : volumes.isError ? (
        <ErrorBanner title="The volumes could not be loaded" error={volumes.error} onRetry={() => void volumes.refetch()} />
      ) : volumes.data.length === 0 ? (
        <EmptyState title="No volumes yet" action={createButton}>
          Create a volume, then connect an iSCSI initiator or an NBD client to it.
        </EmptyState>
      ) : (
        <VolumesTable volumes={volumes.data} />
      )}
      <VolumeDialogs existingNames={volumes.data?.map((v) => v.name) ?? []} />
    </>
  );
}
