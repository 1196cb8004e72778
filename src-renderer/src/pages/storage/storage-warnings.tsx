import type { StorageWarning } from '../../../../src-main/ipc/ipc-contract.js';

/** The engine's storage warnings (filesystem too small, cache below guidance, buffer high…). */
export function StorageWarnings({ warnings }: { warnings: readonly StorageWarning[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="warning-list" data-testid="storage-warnings">
      {warnings.map((w) => (
        <li key={w.code} className={`banner ${w.severity === 'critical' ? 'banner-error' : 'banner-warning'}`}>
          <span className={`badge tone-${w.severity === 'critical' ? 'critical' : 'warning'}`}>{w.severity}</span> {w.message} <code className="error-code">{w.code}</code>
        </li>
      ))}
    </ul>
  );
}
