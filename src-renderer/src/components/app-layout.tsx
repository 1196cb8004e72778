import type { ReactNode } from 'react';
import { NavBar } from './nav-bar.js';

/** The console's frame: a skip link, the left nav and the page. */
export function AppLayout({ children }: { children: ReactNode }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => {
        // The hash is the router; move focus without changing it.
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <NavBar />
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
