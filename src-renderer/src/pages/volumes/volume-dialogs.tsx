import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { Dialog } from '../../components/dialog.js';
import { useCreateVolume, useDeleteVolume } from '../../bridge/use-volumes.js';
import { useDialogStore } from '../../state/dialog-store.js';
import { VolumeCreateForm } from './volume-create-form.js';

/** The create and delete dialogs of the Volumes page (which one is open is UI state). */
export function VolumeDialogs({ existingNames }: { existingNames: readonly string[] }) {
  const dialog = useDialogStore((s) => s.dialog);
  const close = useDialogStore((s) => s.close);
  if (dialog?.kind === 'createVolume') return <CreateVolumeDialog existingNames={existingNames} onClose={close} />;
  if (dialog?.kind === 'deleteVolume') return <DeleteVolumeDialog key={dialog.name} name={dialog.name} onClose={close} />;
  return null;
}

function CreateVolumeDialog({ existingNames, onClose }: { existingNames: readonly string[]; onClose(): void }) {
  const create = useCreateVolume();
  return (
    <Dialog title="Create volume" onClose={onClose} wide>
      <VolumeCreateForm existingNames={existingNames} pending={create.isPending} error={create.error} submitLabel="Create volume" onCancel={onClose} onSubmit={(req) => create.mutate(req, { onSuccess: onClose })} />
    </Dialog>
  );
}

/** Deleting needs the volume's name typed again. */
export function DeleteVolumeDialog({ name, onClose }: { name: string; onClose(): void }) {
  const del = useDeleteVolume();
  return (
    <ConfirmDialog
      title={`Delete volume ${name}`}
      confirmLabel="Delete volume"
      requireText={name}
      pending={del.isPending}
      error={del.error}
      onClose={onClose}
      onConfirm={(typed) => del.mutate({ name, confirmName: typed }, { onSuccess: onClose })}
    >
      <p>
        This disconnects its clients, removes the volume from this gateway and deletes its data in the object store. Data not yet uploaded is lost. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
