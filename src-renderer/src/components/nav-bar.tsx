import { useAppInfo } from '../bridge/use-app-info.js';
import { useGatewaySnapshot } from '../bridge/use-gateway-snapshot.js';
import { useNavigationStore } from '../state/navigation-store.js';
import { hashFor, PAGE_TITLES, PAGES } from '../state/routes.js';
import { engineTone } from './engine-state.js';
import { StatusBadge } from './status-badge.js';

/** The left nav: one hash link per page (accessible name = the page's h1), and the gateway's state. */
export function NavBar() {
  const page = useNavigationStore((s) => s.page);
  const info = useAppInfo();
  const snapshot = useGatewaySnapshot();
  const engine = snapshot.data?.engine;
  const gatewayName = snapshot.data?.status?.controlPlane.name;
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span>Tidegate</span>
      </div>
      {gatewayName && <div className="nav-gateway" title="Gateway name">{gatewayName}</div>}
      <ul>
        {PAGES.map((p) => (
          <li key={p}>
            <a href={hashFor(p)} aria-current={page === p ? 'page' : undefined}>
              {PAGE_TITLES[p]}
            </a>
          </li>
        ))}
      </ul>
      <div className="nav-footer">
        {engine && (
          <div>
            Engine <StatusBadge tone={engineTone(engine.state)}>{engine.state}</StatusBadge>
          </div>
        )}
        {info.data && (
          <div className="muted">
            v{info.data.version} · {info.data.shell === 'electron' ? 'desktop' : 'browser'}
          </div>
        )}
      </div>
    </nav>
  );
}
