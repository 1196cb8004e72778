/**
 * Whether the kernel evicts cold page cache on its own (DAMON's `pageout` scheme, as some
 * cloud VMs run it): then files left alone for about a minute leave memory and the next
 * touch faults them back, whatever the free memory. Both targets of a comparison suffer it,
 * but single figures move with it, so the report names it beside the machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const KDAMONDS = '/sys/kernel/mm/damon/admin/kdamonds';

const read = (path) => readFileSync(path, 'utf8').trim();

/** E.g. "DAMON pageout of memory idle ≥ 60 s", or null when no kdamond runs such a scheme. */
export function proactiveReclaim() {
  if (!existsSync(KDAMONDS)) return null;
  try {
    for (const k of readdirSync(KDAMONDS).filter((n) => /^\d+$/.test(n))) {
      if (read(join(KDAMONDS, k, 'state')) !== 'on') continue;
      const contexts = join(KDAMONDS, k, 'contexts');
      for (const c of readdirSync(contexts).filter((n) => /^\d+$/.test(n))) {
        const aggrUs = Number(read(join(contexts, c, 'monitoring_attrs/intervals/aggr_us')));
        const schemes = join(contexts, c, 'schemes');
        for (const s of readdirSync(schemes).filter((n) => /^\d+$/.test(n))) {
          if (read(join(schemes, s, 'action')) !== 'pageout') continue;
          const minAge = Number(read(join(schemes, s, 'access_pattern/age/min')));
          return `DAMON pageout of memory idle ≥ ${Math.round((minAge * aggrUs) / 1e6)} s`;
        }
      }
    }
  } catch {
    return null; // not readable here: say nothing rather than guess
  }
  return null;
}
