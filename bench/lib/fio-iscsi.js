/**
 * A fio that has the libiscsi ioengine. Debian's fio package is built without it, so when
 * neither $BENCH_FIO_ISCSI nor the system fio has it, we rebuild the same upstream fio
 * version from the Debian source package (apt-get source with a private sources list, so
 * the system's apt configuration is left untouched) with `./configure --enable-libiscsi`.
 * The result is cached in $BENCH_TMP/tidegate-fio-libiscsi/ (not a per-run temp folder:
 * the ~1 min build is done once per machine). Build dependencies (build-essential,
 * pkg-config, libiscsi-dev, libaio-dev, zlib1g-dev) are apt-installed when missing — they
 * are libraries and tools only, no service is started.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, run } from './proc.js';

const BUILD_DEPS = ['build-essential', 'pkg-config', 'libiscsi-dev', 'libaio-dev', 'zlib1g-dev'];

/** True when `fio` runs and lists the libiscsi engine. */
export async function hasLibiscsi(fio) {
  if (!fio) return false;
  const r = await run(fio, ['--enghelp'], { allowFail: true, timeoutMs: 20_000 }).catch(() => ({ code: 1, stdout: '' }));
  return r.code === 0 && /^\s*libiscsi\s*$/m.test(r.stdout);
}

/** Debian packages in `names` that are not installed. */
async function missingPackages(names) {
  const out = [];
  for (const n of names) {
    const r = await run('dpkg-query', ['-W', '-f=${Status}', n], { allowFail: true, timeoutMs: 20_000 });
    if (r.code !== 0 || !r.stdout.includes('install ok installed')) out.push(n);
  }
  return out;
}

/** apt-get install the missing ones among `names` (needs root). */
export async function ensureAptPackages(names) {
  const missing = await missingPackages(names);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new Error(`missing packages: ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 600_000 });
  await run('apt-get', ['install', '-y', '-q', ...missing], { env, timeoutMs: 1_200_000 });
}

/** Debian codename from /etc/os-release (bookworm by default). */
async function codename() {
  const r = await run('sh', ['-c', '. /etc/os-release && echo "$VERSION_CODENAME"'], { allowFail: true });
  return r.stdout.trim() || 'bookworm';
}

/**
 * Path of a fio binary with the libiscsi engine, building one if needed.
 * Order: $BENCH_FIO_ISCSI, the system fio, the cached build, a fresh build.
 */
export async function findOrBuildFioIscsi() {
  const env = process.env.BENCH_FIO_ISCSI;
  if (env) {
    if (await hasLibiscsi(env)) return env;
    throw new Error(`BENCH_FIO_ISCSI=${env} has no libiscsi engine`);
  }
  if (await hasLibiscsi('fio')) return 'fio';
  const base = join(process.env.BENCH_TMP || tmpdir(), 'tidegate-fio-libiscsi');
  const bin = join(base, 'bin', 'fio');
  if (await hasLibiscsi(bin)) return bin;

  log(`building fio with the libiscsi engine in ${base} (once per machine, ~1 min)`);
  await ensureAptPackages(BUILD_DEPS);
  const src = join(base, 'src');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(join(src, 'lists', 'partial'), { recursive: true });
  // Private apt configuration: a deb-src line for this download only.
  const sourceList = join(src, 'sources.list');
  writeFileSync(sourceList, `deb-src http://deb.debian.org/debian ${await codename()} main\n`);
  const apt = ['-o', `Dir::Etc::sourcelist=${sourceList}`, '-o', 'Dir::Etc::sourceparts=-', '-o', `Dir::State::Lists=${join(src, 'lists')}`];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', [...apt, 'update', '-qq'], { env: aptEnv, timeoutMs: 600_000 });
  // The distribution's own fio source: the same upstream version as its fio package.
  const dl = await run('sh', ['-c', `cd "${src}" && exec apt-get "$@" source --download-only fio`, 'sh', ...apt], { env: aptEnv, timeoutMs: 600_000 });
  const orig = readdirSync(src).find((f) => /^fio_.*\.orig\.tar\.(gz|xz|bz2)$/.test(f));
  if (!orig) throw new Error(`apt-get source fio gave no orig tarball:\n${dl.stdout.slice(-1000)}`);
  await run('tar', ['-xf', join(src, orig), '-C', src]);
  const dir = readdirSync(src).find((f) => /^fio-/.test(f) && existsSync(join(src, f, 'configure')));
  if (!dir) throw new Error('fio source tree not found after unpacking');
  const tree = join(src, dir);
  const conf = await run('sh', ['-c', `cd "${tree}" && ./configure --enable-libiscsi`], { timeoutMs: 300_000 });
  if (!/iscsi engine\s+yes/.test(conf.stdout)) throw new Error(`fio configure did not enable libiscsi:\n${conf.stdout.slice(-1500)}`);
  await run('sh', ['-c', `cd "${tree}" && make -j"$(nproc)" fio`], { timeoutMs: 1_800_000 });
  mkdirSync(join(base, 'bin'), { recursive: true });
  copyFileSync(join(tree, 'fio'), `${bin}.tmp`);
  chmodSync(`${bin}.tmp`, 0o755);
  renameSync(`${bin}.tmp`, bin);
  if (!(await hasLibiscsi(bin))) throw new Error(`${bin} was built but lists no libiscsi engine`);
  rmSync(src, { recursive: true, force: true });
  log(`built ${bin}`);
  return bin;
}

// `node bench/lib/fio-iscsi.js` builds (or finds) it and prints the path.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await findOrBuildFioIscsi());
}
