import { useState, type ReactNode } from 'react';
import { Dialog } from './dialog.js';
import { ErrorBanner } from './error-banner.js';
import { Field } from './field.js';

/**
 * Asks before a destructive action. With `requireText`, the confirm button stays disabled
 * until that exact text is typed (e.g. the volume's name); the typed text is passed on so
 * the server can check it too.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  requireText?: string;
  pending?: boolean;
  error?: unknown;
  onConfirm(typed: string): void;
  onClose(): void;
}) {
  const { title, children, confirmLabel, requireText, pending = false, error, onConfirm, onClose } = props;
  const [typed, setTyped] = useState('');
  const matches = requireText === undefined || typed === requireText;
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !pending) onConfirm(typed);
        }}
      >
        <div className="dialog-body">{children}</div>
        {requireText !== undefined && (
          <Field
            label={
              <>
                Type <strong className="mono">{requireText}</strong> to confirm
              </>
            }
          >
            {(control) => <input {...control} type="text" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} data-autofocus />}
          </Field>
        )}
        {error != null && <ErrorBanner title={`${confirmLabel} failed`} error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={!matches || pending}>
            {pending ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
