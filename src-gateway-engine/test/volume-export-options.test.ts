/**
 * Volume export options through the real `tidegate` command and real clients: a volume with
 * its own iSCSI target name (`--iscsi-target-name`) is discovered (SendTargets) and logged in
 * to by that name only; a volume created with `--no-nbd` is no NBD export at all (not listed,
 * not openable); both survive a restart, and a catalog entry written before these options
 * existed still serves with the defaults. `volume list` shows the clients connected now.
 *
 * A missing tool fails the test in CI (CI installs it) and skips it elsewhere, with the reason.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawNbdClient } from '../protocols/nbd/test/raw-nbd-client.js';
import type { VolumeInfo } from '../runtime/engine-commands.js';
import { cli, cliOk, GwScope, pollFor, runTool, tidegateLines, toolSkipReason } from './support/gw-harness.js';
import { IscsiTestConnection } from './support/iscsi-login-client.js';

const scope = new GwScope('export-options');
afterAll(() => scope.cleanup());

const toolsSkip = await toolSkipReason([
  ['nbdinfo', ['--version']],
  ['iscsi-ls', ['--help']],
  ['iscsi-inq', ['--help']],
]);

const CUSTOM = 'iqn.2001-04.com.example:storage.db';
const DEFAULT_WEB = 'iqn.2026-11.dev.tidegate:web';
const INITIATOR = 'iqn.2026-11.dev.tidegate.test:export-options';

async function volumes(dataDir: string): Promise<Map<string, VolumeInfo>> {
  const list = JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dataDir])) as VolumeInfo[];
  return new Map(list.map((v) => [v.name, v]));
}

describe('volume export options', () => {
  it.skipIf(toolsSkip)(
    `a custom iSCSI target name and --no-nbd, seen by real clients, across a restart${toolsSkip ? ` (${toolsSkip})` : ''}`,
    async () => {
      const dataDir = await scope.dir('data');
      const gw = await scope.start(dataDir);
      const created = await cliOk(['volume', 'create', 'db', '--size', '64MiB', '--iscsi-target-name', CUSTOM, '--no-nbd', '--data-dir', dataDir]);
      expect(created).toBe(`created cached volume db (64 MiB); not exported over NBD, iSCSI target ${CUSTOM} LUN 0\n`);
      await cliOk(['volume', 'create', 'web', '--size', '64MiB', '--data-dir', dataDir]);

      // Refusals: a name in use (custom or default), a malformed or upper-case name.
      const dup = await cli(['volume', 'create', 'other', '--size', '64MiB', '--iscsi-target-name', CUSTOM, '--data-dir', dataDir]);
      expect(dup.code).not.toBe(0);
      expect(tidegateLines(dup.stderr).join('\n')).toMatch(new RegExp(`iSCSI target name ${CUSTOM.replace(/\./g, '\\.')} is already used by volume db`));
      const dupDefault = await cli(['volume', 'create', 'other', '--size', '64MiB', '--iscsi-target-name', DEFAULT_WEB, '--data-dir', dataDir]);
      expect(tidegateLines(dupDefault.stderr).join('\n')).toMatch(/already used by volume web/);
      const upper = await cli(['volume', 'create', 'other', '--size', '64MiB', '--iscsi-target-name', 'IQN.2001-04.com.example:x', '--data-dir', dataDir]);
      expect(tidegateLines(upper.stderr).join('\n')).toMatch(/invalid iSCSI target name "IQN.2001-04.com.example:x": iSCSI names are written in lower case/);

      const check = async (portal: string, nbd: string): Promise<void> => {
        // NBD: only web is an export; db cannot be opened, as for an unknown name.
        const list = await runTool('nbdinfo', ['--list', '--json', `nbd://${nbd}`]);
        expect(list.code, list.stderr).toBe(0);
        expect((JSON.parse(list.stdout) as { exports: Array<{ 'export-name': string }> }).exports.map((x) => x['export-name'])).toEqual(['web']);
        expect((await runTool('nbdinfo', [`nbd://${nbd}/db`])).code).not.toBe(0);
        expect((await runTool('nbdinfo', [`nbd://${nbd}/web`])).code).toBe(0);
        // iSCSI: SendTargets names db by its own name; the default name for db is no target.
        const ls = await runTool('iscsi-ls', [`iscsi://${portal}`]);
        expect(ls.code, ls.stderr).toBe(0);
        expect(ls.stdout).toContain(`Target:${CUSTOM} Portal:${portal},1`);
        expect(ls.stdout).toContain(`Target:${DEFAULT_WEB} Portal:${portal},1`);
        expect(ls.stdout).not.toContain('tidegate:db');
        expect((await runTool('iscsi-inq', [`iscsi://${portal}/${CUSTOM}/0`])).code).toBe(0);
        expect((await runTool('iscsi-inq', [`iscsi://${portal}/iqn.2026-11.dev.tidegate:db/0`])).code).not.toBe(0);
      };
      await check(gw.iscsi!, gw.nbd);

      const v = await volumes(dataDir);
      expect(v.get('db')).toMatchObject({ nbdExport: null, iscsi: { targetName: CUSTOM }, clients: [] });
      expect(v.get('web')).toMatchObject({ nbdExport: 'web', iscsi: { targetName: DEFAULT_WEB } });

      // Clients connected now: an NBD client of web, an iSCSI session on db.
      const { client: nbdClient } = await RawNbdClient.attach(Number(gw.nbd.split(':')[1]), 'web');
      const iscsi = await IscsiTestConnection.connect(gw.iscsi!);
      try {
        await iscsi.login({ initiatorName: INITIATOR, targetName: CUSTOM });
        const seen = await pollFor('clients in volume list', async () => {
          const now = await volumes(dataDir);
          return now.get('web')!.clients.length === 1 && now.get('db')!.clients.length === 1 ? now : undefined;
        }, 10_000);
        expect(seen.get('web')!.clients).toEqual([{ protocol: 'nbd', address: `127.0.0.1:${nbdClient.socket.localPort}`, initiator: null, connectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
        expect(seen.get('db')!.clients).toEqual([{ protocol: 'iscsi', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), initiator: INITIATOR, connectedAt: expect.any(String) }]);
        expect(seen.get('db')!.iscsi.sessions).toBe(1);
      } finally {
        nbdClient.destroy();
        iscsi.destroy();
      }
      await pollFor('clients gone', async () => {
        const now = await volumes(dataDir);
        return now.get('web')!.clients.length + now.get('db')!.clients.length === 0 ? true : undefined;
      }, 10_000);

      // A restart keeps both options; web's catalog entry rewritten as an older version wrote it still serves with the defaults.
      expect(await gw.stop()).toBe(0);
      const webRecord = join(dataDir, 'volumes', 'web', 'local.json');
      const old = JSON.parse(await readFile(webRecord, 'utf8')) as Record<string, unknown>;
      delete old.iscsiTargetName;
      delete old.nbdExport;
      await writeFile(webRecord, JSON.stringify(old), { mode: 0o600 });
      const gw2 = await scope.start(dataDir);
      await check(gw2.iscsi!, gw2.nbd);
    },
    180_000,
  );
});
