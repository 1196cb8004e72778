/**
 * tgt (the Linux SCSI target framework's user-space iSCSI target, `tgtd` from the Debian
 * package `tgt`) as a benchmark peer: one tgtd in its own session, on 127.0.0.1 and a free
 * port, with a private management channel (`-C N`, a socket /var/run/tgtd/socket.N that no
 * system tgtd uses), one target with one thin-provisioned LUN on a backing file.
 *
 * tgtd ignores SIGTERM. It is stopped the way its own tools do it: every target deleted
 * with --force (drops live sessions), then `tgtadm --op delete --mode system`; SIGKILL to
 * its process group only if it is still there after 5 s. The stop is registered as a
 * cleanup hook, so Ctrl-C and failures stop it the same way.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, log, onCleanup, run, sleep, startDaemon, stopDaemon, waitPort } from './proc.js';

const SOCKET_BASE = '/var/run/tgtd/socket';

/** A management-channel number whose socket and lock files do not exist. */
function freeControlPort() {
  for (let i = 0; i < 100; i++) {
    const n = 10000 + Math.floor(Math.random() * 22000); // tgtd accepts -C 0..32767
    if (!existsSync(`${SOCKET_BASE}.${n}`) && !existsSync(`${SOCKET_BASE}.${n}.lock`)) return n;
  }
  throw new Error('no free tgtd control port');
}

/** `tgtd -V` ("1.0.85"), or null when tgt is not installed. */
export async function tgtVersion() {
  const r = await run('tgtd', ['-V'], { allowFail: true, timeoutMs: 10_000 }).catch(() => ({ code: 1 }));
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Start tgtd serving `image` as LUN 1 of target `iqn` (thin provisioning on by default).
 * Resolves { pid, port, ctl, iqn, url, daemon, stop() }; url is `iscsi://127.0.0.1:PORT/IQN/1`.
 */
export async function startTgt({ image, iqn, logDir, thin = true }) {
  if (!(await tgtVersion())) throw new Error('tgtd not found (apt-get install tgt)');
  const port = await freePort();
  const ctl = freeControlPort();
  const daemon = startDaemon('tgtd', 'tgtd', ['-f', '-C', String(ctl), '--iscsi', `portal=127.0.0.1:${port}`], { logFile: join(logDir, 'tgtd.log') });
  const adm = (args) => run('tgtadm', ['-C', String(ctl), ...args], { timeoutMs: 30_000 });
  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
        await adm(['--lld', 'iscsi', '--op', 'delete', '--mode', 'target', '--tid', '1', '--force']).catch(() => undefined);
        await adm(['--op', 'delete', '--mode', 'system']).catch((e) => log(`tgt: delete system failed: ${e.message.split('\n')[0]}`));
        const gone = await Promise.race([daemon.exited.then(() => true), sleep(5000).then(() => false)]);
        if (!gone) log('tgt: tgtd still running 5 s after "delete system"; SIGKILL');
        await stopDaemon(daemon, 1000);
      }
      for (const f of [`${SOCKET_BASE}.${ctl}`, `${SOCKET_BASE}.${ctl}.lock`]) rmSync(f, { force: true });
    })();
    return stopped;
  };
  onCleanup(stop);
  try {
    await waitPort(port, { daemon, timeoutMs: 20_000 });
    const iscsi = ['--lld', 'iscsi'];
    await adm([...iscsi, '--op', 'new', '--mode', 'target', '--tid', '1', '-T', iqn]);
    await adm([...iscsi, '--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', image]);
    if (thin) await adm([...iscsi, '--op', 'update', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '--params', 'thin_provisioning=1']);
    await adm([...iscsi, '--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL']);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: daemon.pid, port, ctl, iqn, url: `iscsi://127.0.0.1:${port}/${iqn}/1`, daemon, stop };
}
