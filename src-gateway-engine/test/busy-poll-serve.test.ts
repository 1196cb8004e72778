/**
 * Busy polling after replies (`protocols.busyPollMicroseconds`, `serve --busy-poll`) through
 * the real `tidegate serve` and a real client: nbdcopy writing one 4 KiB request at a time
 * finds the engine still polling (status and Prometheus count the hits); the default budget
 * is 50 µs; `--busy-poll 0` never polls.
 *
 * A missing tool fails the test in CI (CI installs it) and skips it elsewhere, with the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cliOk, GwScope, makeImage, runTool, statusJson, toolSkipReason } from './support/gw-harness.js';

const scope = new GwScope('busy-poll');
afterAll(() => scope.cleanup());

const toolsSkip = await toolSkipReason([['nbdcopy', ['--version']]]);

interface BusyPollStatus {
  budgetMicros: number;
  hits: number;
  misses: number;
  pauses: number;
  pollingSeconds: number;
}

async function busyPoll(dataDir: string): Promise<BusyPollStatus> {
  return (await statusJson(dataDir)).busyPoll as BusyPollStatus;
}

/** A 4 MiB image written as 1,024 requests of 4 KiB, one at a time. */
async function writeOneAtATime(image: string, uri: string): Promise<void> {
  const r = await runTool('nbdcopy', ['--connections=1', '--requests=1', '--request-size=4096', image, uri]);
  expect(r.code, r.stderr).toBe(0);
}

describe('busy polling in the served engine', () => {
  it.skipIf(toolsSkip)(`a queue-depth-1 client is met by polling; 50 µs by default; --busy-poll 0 is off${toolsSkip ? ` (${toolsSkip})` : ''}`, async () => {
    const dataDir = await scope.dir('data');
    // The largest budget, so a loaded test machine's client still answers inside it.
    let gw = await scope.start(dataDir, ['--busy-poll', '1000', '--metrics', '127.0.0.1:0']);
    await cliOk(['volume', 'create', 'v', '--size', '4MiB', '--data-dir', dataDir]);
    const image = `${await scope.dir('image')}/random.img`;
    await makeImage(image, 4 * 1024 * 1024);
    await writeOneAtATime(image, gw.nbdUri('v'));
    const polled = await busyPoll(dataDir);
    expect(polled.budgetMicros).toBe(1000);
    expect(polled.hits).toBeGreaterThanOrEqual(100);
    expect(polled.pollingSeconds).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://${gw.metrics!}/metrics`)).text();
    const hits = Number(/^tidegate_busy_poll_hits_total (\d+)$/m.exec(metrics)?.[1]);
    expect(hits).toBeGreaterThanOrEqual(polled.hits);
    expect(metrics).toMatch(/^tidegate_busy_poll_misses_total \d+$/m);
    await gw.stop();

    gw = await scope.start(dataDir);
    await writeOneAtATime(image, gw.nbdUri('v'));
    const byDefault = await busyPoll(dataDir);
    expect(byDefault.budgetMicros).toBe(50);
    // Every window ends in a hit or a miss; how many hit depends on the machine's load.
    expect(byDefault.hits + byDefault.misses).toBeGreaterThan(0);
    await gw.stop();

    gw = await scope.start(dataDir, ['--busy-poll', '0']);
    await writeOneAtATime(image, gw.nbdUri('v'));
    expect(await busyPoll(dataDir)).toEqual({ budgetMicros: 0, hits: 0, misses: 0, pauses: 0, pollingSeconds: 0 });
    await gw.stop();
  });
});
