import { create } from 'zustand';

/** The one modal dialog open (at most one at a time). */
export type OpenDialog = { kind: 'createVolume' } | { kind: 'deleteVolume'; name: string } | null;

interface DialogState {
  dialog: OpenDialog;
  open(dialog: NonNullable<OpenDialog>): void;
  close(): void;
}

export const useDialogStore = create<DialogState>()((set) => ({
  dialog: null,
  open: (dialog) => set({ dialog }),
  close: () => set({ dialog: null }),
}));
