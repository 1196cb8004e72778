import { create } from 'zustand';
import type { SizeDraft } from '../components/format/size-units.js';

/** The activation wizard's steps, in order. */
export const WIZARD_STEPS = ['Control plane', 'Activation key', 'Gateway details', 'Storage', 'First volume'] as const;
export type WizardStep = 1 | 2 | 3 | 4 | 5;
const LAST_STEP: WizardStep = 5;

/** Sizing guidance inputs, as typed. */
export interface SizingDraft {
  incomingMBps: string;
  outgoingMBps: string;
  compressionFactor: string;
  writeHoursPerDay: string;
}

/** What the administrator has entered so far (kept when they leave the wizard and come back). */
export interface WizardDraft {
  controlPlane: 'embedded' | 'remote';
  controlPlaneUrl: string;
  caCertPem: string;
  apiToken: string;
  name: string;
  /** null until edited: the host's time zone is the default. */
  timezone: string | null;
  sizing: SizingDraft;
  /** null until edited: the guidance (or the current capacity) is the default. */
  cacheSize: SizeDraft | null;
  uploadBufferSize: SizeDraft | null;
}

export const INITIAL_WIZARD_DRAFT: WizardDraft = {
  controlPlane: 'embedded',
  controlPlaneUrl: '',
  caCertPem: '',
  apiToken: '',
  name: '',
  timezone: null,
  sizing: { incomingMBps: '', outgoingMBps: '', compressionFactor: '1', writeHoursPerDay: '' },
  cacheSize: null,
  uploadBufferSize: null,
};

interface WizardState {
  step: WizardStep;
  draft: WizardDraft;
  updateDraft(patch: Partial<WizardDraft>): void;
  updateSizing(patch: Partial<SizingDraft>): void;
  /** Moves on one step (callers check the step's validation first). */
  next(): void;
  back(): void;
  goTo(step: WizardStep): void;
  reset(): void;
}

export const useWizardStore = create<WizardState>()((set) => ({
  step: 1,
  draft: INITIAL_WIZARD_DRAFT,
  updateDraft: (patch) => set((s) => ({ draft: { ...s.draft, ...patch } })),
  updateSizing: (patch) => set((s) => ({ draft: { ...s.draft, sizing: { ...s.draft.sizing, ...patch } } })),
  next: () => set((s) => ({ step: Math.min(LAST_STEP, s.step + 1) as WizardStep })),
  back: () => set((s) => ({ step: Math.max(1, s.step - 1) as WizardStep })),
  goTo: (step) => set({ step }),
  reset: () => set({ step: 1, draft: INITIAL_WIZARD_DRAFT }),
}));
