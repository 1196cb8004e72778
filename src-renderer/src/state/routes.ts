/** The console's pages, in nav order, with their `#/<id>` routes and titles (h1 = nav link name). */
export const PAGES = ['dashboard', 'volumes', 'storage', 'bandwidth', 'logs', 'activation'] as const;
export type PageId = (typeof PAGES)[number];

export const PAGE_TITLES: Record<PageId, string> = {
  dashboard: 'Dashboard',
  volumes: 'Volumes',
  storage: 'Storage',
  bandwidth: 'Bandwidth',
  logs: 'Logs & diagnostics',
  activation: 'Activate gateway',
};

/** `#/volumes` → 'volumes'; anything else (empty, unknown) → null. */
export function parseHashRoute(hash: string): PageId | null {
  const m = /^#\/([a-z-]+)\/?$/.exec(hash);
  const id = m?.[1];
  return id !== undefined && (PAGES as readonly string[]).includes(id) ? (id as PageId) : null;
}

/** The hash of a page, for links. */
export function hashFor(page: PageId): string {
  return `#/${page}`;
}
