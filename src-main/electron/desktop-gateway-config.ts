/**
 * How the desktop app configures its gateway: the same defaults and flags as `tidegate serve`
 * (`--data-dir`, `--store`, and `--nbd/--iscsi/--metrics/--control-plane HOST:PORT|off`, all
 * loopback by default), read from the app's command line. Chromium's own switches on that line
 * are ignored. Pure, so tests call it.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseHostPort, type EngineConfigInput } from '../../src-gateway-engine/index.js';

/** The listeners `tidegate serve` has, with their default loopback ports. */
export const DESKTOP_LISTENERS = { nbd: 10809, iscsi: 3260, metrics: 9109, 'control-plane': 9443 } as const;
type ListenerName = keyof typeof DESKTOP_LISTENERS;

/** The desktop app's own options from its command line. */
export interface DesktopArgs {
  dataDir: string | null;
  storeUrl: string | null;
  /** As typed (`HOST:PORT`, `:PORT`, `off`); absent = the default. */
  listen: Partial<Record<ListenerName, string>>;
}

/** Our flags from argv, as `--name value` or `--name=value` (anything else is Electron's or Chromium's). */
export function desktopArgs(argv: readonly string[]): DesktopArgs {
  const value = (name: string): string | null => {
    let found: string | null = null;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === `--${name}` && i + 1 < argv.length) found = argv[++i]!;
      else if (a.startsWith(`--${name}=`)) found = a.slice(name.length + 3);
    }
    return found;
  };
  const listen: DesktopArgs['listen'] = {};
  for (const name of Object.keys(DESKTOP_LISTENERS) as ListenerName[]) {
    const v = value(name);
    if (v !== null) listen[name] = v;
  }
  return { dataDir: value('data-dir'), storeUrl: value('store'), listen };
}

/** Where a listener listens (loopback at its default port unless told), or null when `off`; throws on a malformed address. */
export function desktopListener(args: DesktopArgs, name: ListenerName): { host: string; port: number } | null {
  const v = args.listen[name];
  if (v === 'off') return null;
  return v === undefined ? { host: '127.0.0.1', port: DESKTOP_LISTENERS[name] } : parseHostPort(v, '127.0.0.1');
}

/** The engine configuration the desktop app sends to every engine process. */
export function desktopEngineConfig(o: { args: DesktopArgs; dataDir: string; gatewayId: string; embedded: { url: string; caFile: string } | null }): EngineConfigInput {
  const dataDir = resolve(o.dataDir);
  return {
    gatewayId: o.gatewayId,
    dataDir,
    store: o.args.storeUrl ?? pathToFileURL(join(dataDir, 'store')).href, // validated by the engine's validateEngineConfig
    nbd: desktopListener(o.args, 'nbd'),
    iscsi: desktopListener(o.args, 'iscsi'),
    metrics: desktopListener(o.args, 'metrics'),
    writeLog: {},
    logLevel: 'info',
    control: { embeddedUrl: o.embedded?.url ?? null, embeddedCaFile: o.embedded?.caFile ?? null },
  };
}
