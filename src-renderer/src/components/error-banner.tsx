import { toConsoleErrorBody } from '../bridge/console-error.js';

/** A failed load or action: what failed, the error's stable code and its sentence, and a retry when there is one. */
export function ErrorBanner({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  const body = toConsoleErrorBody(error);
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <strong>{title}</strong>
        <p>
          <code className="error-code">{body.code}</code> {body.message}
        </p>
      </div>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
