/**
 * `bandwidth.get` / `bandwidth.configure` / `bandwidth.set` on a real engine: the default
 * limit, the weekly schedule and the limit in force; refused schedules; persistence across a
 * restart, where an explicit `upload.bandwidthBytesPerSec` (the `--upload-bandwidth` flag)
 * wins over the stored default but the stored schedule still applies.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from './support/core-temp-dirs.js';
import { InProcessEngines, testEngineInput } from './support/in-process-engine.js';

const MiB = 1024 * 1024;
const dirs = new CoreTempDirs('bandwidth-commands');
const engines = new InProcessEngines();
afterEach(() => engines.closeAll());
afterAll(() => dirs.cleanup());

const ALL_WEEK = [0, 1, 2, 3, 4, 5, 6];
const hostZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

describe('bandwidth commands', () => {
  it('get shows the default, the schedule, the zone and the limit in force; configure and set change them', async () => {
    const e = await engines.start(testEngineInput(await dirs.make()));
    expect(await e.commands['bandwidth.get']({})).toEqual({ bytesPerSec: 0, schedule: [], timezone: hostZone, effectiveBytesPerSec: 0 });
    const allDay = [{ days: ALL_WEEK, start: '00:00', end: '24:00', bytesPerSec: 5 * MiB }];
    const s = await e.commands['bandwidth.configure']({ bytesPerSec: 1 * MiB, schedule: allDay });
    expect(s).toEqual({ bytesPerSec: 1 * MiB, schedule: allDay, timezone: hostZone, effectiveBytesPerSec: 5 * MiB });
    expect((await e.commands.status({})).uploadBuffer.bandwidthBytesPerSec).toBe(5 * MiB);
    // bandwidth.set changes the default (outside windows) only.
    expect(await e.commands['bandwidth.set']({ bytesPerSec: 2 * MiB })).toEqual({ bytesPerSec: 2 * MiB });
    expect(await e.commands['bandwidth.get']({})).toMatchObject({ bytesPerSec: 2 * MiB, schedule: allDay, effectiveBytesPerSec: 5 * MiB });
    // Without a schedule the default is in force.
    expect((await e.commands['bandwidth.configure']({ schedule: [] })).effectiveBytesPerSec).toBe(2 * MiB);
  });

  it('refuses bad settings with a sentence and changes nothing', async () => {
    const e = await engines.start(testEngineInput(await dirs.make()));
    await expect(e.commands['bandwidth.set']({ bytesPerSec: -1 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(e.commands['bandwidth.set']({} as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(
      e.commands['bandwidth.configure']({
        bytesPerSec: 7,
        schedule: [
          { days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: MiB },
          { days: [5], start: '17:30', end: '23:00', bytesPerSec: 0 },
        ],
      }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: 'bandwidth schedule entries 1 (Mon,Tue,Wed,Thu,Fri 08:00-18:00) and 2 (Fri 17:30-23:00) overlap on Friday; windows must not overlap' });
    await expect(e.commands['bandwidth.configure']({ schedule: [{ days: [1], start: '9:00', end: '10:00', bytesPerSec: 0 }] })).rejects.toThrow(/start must be "HH:MM"/);
    expect(await e.commands['bandwidth.get']({})).toMatchObject({ bytesPerSec: 0, schedule: [] });
  });

  it('keeps the settings across a restart; an explicit --upload-bandwidth wins for the default only', async () => {
    const dir = await dirs.make();
    const schedule = [{ days: [0, 6], start: '00:00', end: '24:00', bytesPerSec: 0 }];
    const e1 = await engines.start(testEngineInput(dir));
    await e1.commands['bandwidth.configure']({ bytesPerSec: 3 * MiB, schedule });
    await engines.close(e1);
    const e2 = await engines.start(testEngineInput(dir));
    expect(await e2.commands['bandwidth.get']({})).toMatchObject({ bytesPerSec: 3 * MiB, schedule });
    await engines.close(e2);
    const e3 = await engines.start(testEngineInput(dir, { upload: { bandwidthBytesPerSec: '1MiB' } }));
    expect(await e3.commands['bandwidth.get']({})).toMatchObject({ bytesPerSec: 1 * MiB, schedule });
  });
});
