/**
 * Engines started in this process on temp data dirs (local-folder store, loopback listeners on
 * free ports, no metrics listener, no control plane), closed by `closeAll()`. For tests of
 * the command API where a real `tidegate serve` process adds nothing but start-up time.
 */
import { validateEngineConfig, type EngineConfigInput } from '../../config/index.js';
import { Engine, type EngineHooks } from '../../engine.js';
import { nullLogger, type Logger } from '../../log/index.js';
import type { ObjectStore } from '../../objectstore/index.js';

/** Config input for a test engine on `dataDir`; `over` is merged on top. */
export function testEngineInput(dataDir: string, over: Partial<EngineConfigInput> = {}): EngineConfigInput {
  return {
    gatewayId: 'gw-test',
    dataDir,
    nbd: '127.0.0.1:0',
    iscsi: '127.0.0.1:0',
    metrics: null,
    writeLog: { segmentBytes: '4MiB' },
    ...over,
  };
}

/** Engines started by one test file. */
export class InProcessEngines {
  private readonly running = new Set<Engine>();

  async start(input: EngineConfigInput, hooks: EngineHooks = {}, logger: Logger = nullLogger): Promise<Engine> {
    const engine = await Engine.start(validateEngineConfig(input), logger, hooks);
    this.running.add(engine);
    return engine;
  }

  async close(engine: Engine): Promise<void> {
    this.running.delete(engine);
    await engine.close();
  }

  async closeAll(): Promise<void> {
    for (const e of [...this.running]) await this.close(e);
  }
}

/** A store wrapper whose puts wait while `hold()` is in effect (uploads stall; nothing fails). */
export function holdablePuts(): { wrapStore: (s: ObjectStore) => ObjectStore; hold: () => void; release: () => void } {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const wrapStore = (s: ObjectStore): ObjectStore =>
    new Proxy(s, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (key === 'put') {
          return async (...args: Parameters<ObjectStore['put']>) => {
            while (gate !== undefined) await gate;
            return target.put(...args);
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return {
    wrapStore,
    hold: () => {
      gate ??= new Promise<void>((r) => (open = r));
    },
    release: () => {
      const o = open;
      gate = undefined;
      open = undefined;
      o?.();
    },
  };
}
