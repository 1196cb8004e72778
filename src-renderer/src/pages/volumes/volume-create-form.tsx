import { useState } from 'react';
import type { VolumeCreateRequest } from '../../../../src-main/ipc/ipc-contract.js';
import { ErrorBanner } from '../../components/error-banner.js';
import { Field } from '../../components/field.js';
import { SizeInput } from '../../components/size-input.js';
import { checkVolumeForm, defaultTargetName, INITIAL_VOLUME_FORM, VOLUME_FORM_FIELD_ORDER, type VolumeFormDraft, type VolumeFormField } from './volume-form.js';

/**
 * The create-volume form (the Volumes dialog and the wizard's last step). Field errors show
 * once a field was left or a submit was tried; the submit button stays disabled while the
 * form is invalid, with the first problem written beside it.
 */
export function VolumeCreateForm(props: {
  existingNames: readonly string[];
  pending: boolean;
  error: unknown;
  submitLabel: string;
  onSubmit(request: VolumeCreateRequest): void;
  onCancel?: () => void;
}) {
  const { existingNames, pending, error, submitLabel, onSubmit, onCancel } = props;
  const [draft, setDraft] = useState<VolumeFormDraft>(INITIAL_VOLUME_FORM);
  const [touched, setTouched] = useState<ReadonlySet<VolumeFormField>>(new Set());
  const check = checkVolumeForm(draft, existingNames);
  const update = (patch: Partial<VolumeFormDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const touch = (field: VolumeFormField) => () => setTouched((t) => (t.has(field) ? t : new Set(t).add(field)));
  const shown = (field: VolumeFormField) => (touched.has(field) ? (check.errors[field] ?? null) : null);
  const firstProblem = VOLUME_FORM_FIELD_ORDER.map((f) => check.errors[f]).find((e) => e !== undefined);

  return (
    <form
      className="form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (check.request && !pending) onSubmit(check.request);
      }}
    >
      <Field label="Volume name" hint="Lowercase letters, digits and “-”; also the NBD export name." error={shown('name')}>
        {(c) => <input {...c} type="text" autoComplete="off" spellCheck={false} value={draft.name} onChange={(e) => update({ name: e.target.value })} onBlur={touch('name')} data-autofocus />}
      </Field>
      <Field label="Size" error={shown('size')}>
        {(c) => <SizeInput control={c} label="Size" value={draft.size} onChange={(size) => update({ size })} onBlur={touch('size')} />}
      </Field>
      <fieldset className="fieldset">
        <legend>Type</legend>
        <label className="choice">
          <input type="radio" name="volume-mode" value="cached" checked={draft.mode === 'cached'} onChange={() => update({ mode: 'cached' })} />
          <span>
            <strong>Cached</strong> — the data lives in object storage; recently used blocks are cached on this machine.
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="volume-mode" value="stored" checked={draft.mode === 'stored'} onChange={() => update({ mode: 'stored' })} />
          <span>
            <strong>Stored</strong> — the data lives on a local disk; the gateway backs it up to object storage.
          </span>
        </label>
      </fieldset>
      {draft.mode === 'stored' && (
        <Field label="Disk path" hint="A file or block device on this machine, e.g. /dev/sdb or /srv/volumes/data.img." error={shown('diskPath')}>
          {(c) => <input {...c} type="text" autoComplete="off" spellCheck={false} value={draft.diskPath} onChange={(e) => update({ diskPath: e.target.value })} onBlur={touch('diskPath')} />}
        </Field>
      )}
      <Field label="iSCSI target name (optional)" hint={`Default: ${defaultTargetName(draft.name)}`} error={shown('iscsiTargetName')}>
        {(c) => <input {...c} type="text" autoComplete="off" spellCheck={false} value={draft.iscsiTargetName} onChange={(e) => update({ iscsiTargetName: e.target.value })} onBlur={touch('iscsiTargetName')} />}
      </Field>
      <fieldset className="fieldset">
        <legend>iSCSI authentication</legend>
        <label className="choice">
          <input type="checkbox" checked={draft.chapEnabled} onChange={(e) => update({ chapEnabled: e.target.checked })} />
          <span>Require CHAP</span>
        </label>
        {draft.chapEnabled && (
          <div className="field-row">
            <Field label="CHAP user name" error={shown('chapUser')}>
              {(c) => <input {...c} type="text" autoComplete="off" spellCheck={false} value={draft.chapUser} onChange={(e) => update({ chapUser: e.target.value })} onBlur={touch('chapUser')} />}
            </Field>
            <Field label="CHAP secret" hint="12 to 16 characters." error={shown('chapSecret')}>
              {(c) => <input {...c} type="password" autoComplete="new-password" value={draft.chapSecret} onChange={(e) => update({ chapSecret: e.target.value })} onBlur={touch('chapSecret')} />}
            </Field>
          </div>
        )}
        {draft.chapEnabled && (
          <label className="choice">
            <input type="checkbox" checked={draft.mutualChapEnabled} onChange={(e) => update({ mutualChapEnabled: e.target.checked })} />
            <span>Mutual CHAP (the initiator checks the target too)</span>
          </label>
        )}
        {draft.chapEnabled && draft.mutualChapEnabled && (
          <div className="field-row">
            <Field label="Target user name" hint="For mutual CHAP." error={shown('mutualChapUser')}>
              {(c) => <input {...c} type="text" autoComplete="off" spellCheck={false} value={draft.mutualChapUser} onChange={(e) => update({ mutualChapUser: e.target.value })} onBlur={touch('mutualChapUser')} />}
            </Field>
            <Field label="Target secret" hint="For mutual CHAP: 12 to 16 characters, different from the CHAP secret." error={shown('mutualChapSecret')}>
              {(c) => <input {...c} type="password" autoComplete="new-password" value={draft.mutualChapSecret} onChange={(e) => update({ mutualChapSecret: e.target.value })} onBlur={touch('mutualChapSecret')} />}
            </Field>
          </div>
        )}
      </fieldset>
      <label className="choice">
        <input type="checkbox" checked={draft.nbdExport} onChange={(e) => update({ nbdExport: e.target.checked })} />
        <span>Also export over NBD (the export is named after the volume)</span>
      </label>
      {error != null && <ErrorBanner title="The volume was not created" error={error} />}
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="button button-primary" disabled={check.request === null || pending}>
          {pending ? 'Creating…' : submitLabel}
        </button>
        {firstProblem !== undefined && (
          <span className="form-blocker" role="note">
            {firstProblem}
          </span>
        )}
      </div>
    </form>
  );
}
