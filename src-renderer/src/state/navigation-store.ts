import { create } from 'zustand';
import { hashFor, parseHashRoute, type PageId } from './routes.js';

/**
 * The page shown. The URL hash is the source of truth (so links, reloads and e2e can go
 * straight to `#/volumes`); this store mirrors it for components. `null` = no route in the
 * URL yet (the app picks dashboard or activation once it knows whether the gateway is activated).
 */
interface NavigationState {
  page: PageId | null;
  setPage(page: PageId | null): void;
}

export const useNavigationStore = create<NavigationState>()((set) => ({
  page: null,
  setPage: (page) => set({ page }),
}));

/** Goes to a page; `replace` rewrites the current history entry (for redirects). */
export function navigate(page: PageId, options: { replace?: boolean } = {}, win: Window = window): void {
  const hash = hashFor(page);
  if (options.replace) win.history.replaceState(null, '', hash);
  else if (win.location.hash !== hash) win.location.hash = hash;
  useNavigationStore.getState().setPage(page);
}

/** Mirrors the hash into the store now and on every change; returns the function that stops. */
export function startHashSync(win: Window = window): () => void {
  const sync = () => useNavigationStore.getState().setPage(parseHashRoute(win.location.hash));
  sync();
  win.addEventListener('hashchange', sync);
  return () => win.removeEventListener('hashchange', sync);
}
