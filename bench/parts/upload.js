/**
 * Part 3 — upload throughput to a throw-away radosgw on loopback: Tidegate writing 1 GiB and
 * `tidegate volume sync` until all of it is in a recovery point, vs a bare loop of 8 MiB
 * PutObject calls, 4 in flight, with the AWS SDK (the same client library the gateway uses).
 * The bare loop runs before and after the gateway (drift check); the mean is the peer figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, startGateway } from '../lib/gateway.js';
import { round } from '../lib/fio.js';
import { GiB, MiB, randomFile } from '../lib/data.js';
import { cpuSeconds, freePort, now, run, startDaemon, stopDaemon, onCleanup, makeTempDir, log, sleep } from '../lib/proc.js';

const UP = join(ROOT, 'scripts', 'ceph-rgw-up.sh');
const DOWN = join(ROOT, 'scripts', 'ceph-rgw-down.sh');

/** Start radosgw with the project's script; resolves its env or throws with the reason. */
async function startRgw(work) {
  for (let waited = 0; !existsSync(UP); waited += 10) {
    if (waited >= Number(process.env.BENCH_RGW_SCRIPT_WAIT ?? 0)) throw new Error(`${UP} does not exist`);
    await sleep(10_000);
  }
  const dir = join(makeTempDir('rgw'), 'state');
  const env = {
    ...process.env,
    TIDEGATE_RGW_DIR: dir,
    TIDEGATE_RGW_PORT: String(await freePort()),
    TIDEGATE_MON_PORT: String(await freePort(true)),
  };
  onCleanup(() => run('bash', [DOWN, '--kill', '--wipe'], { env, allowFail: true, timeoutMs: 60_000 }));
  const t0 = now();
  const up = startDaemon('ceph-rgw-up', 'bash', [UP], { logFile: join(work, 'ceph-rgw-up.log'), env });
  const timeoutMs = Number(process.env.BENCH_RGW_TIMEOUT ?? 600) * 1000;
  const timer = setTimeout(() => stopDaemon(up, 1000), timeoutMs);
  const { code, signal } = await up.exited;
  clearTimeout(timer);
  const out = readFileSync(join(work, 'ceph-rgw-up.log'), 'utf8');
  if (code !== 0 || !existsSync(join(dir, 'env'))) {
    throw new Error(`ceph-rgw-up.sh failed (${signal ?? `exit ${code}`} after ${round(now() - t0, 1)} s): ${out.trim().split('\n').slice(-6).join(' | ')}`);
  }
  const kv = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { startSeconds: round(now() - t0, 1), endpoint: kv.TIDEGATE_TEST_S3_ENDPOINT, region: kv.TIDEGATE_TEST_S3_REGION, accessKey: kv.TIDEGATE_TEST_S3_ACCESS_KEY, secretKey: kv.TIDEGATE_TEST_S3_SECRET_KEY };
}

async function bareLoop(s3, PutObjectCommand, bucket, prefix, total, objectBytes, inFlight) {
  const pool = Array.from({ length: inFlight + 1 }, () => randomFillSync(Buffer.allocUnsafe(objectBytes)));
  const n = Math.ceil(total / objectBytes);
  let next = 0;
  const t0 = now();
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${String(i).padStart(6, '0')}`, Body: pool[i % pool.length], ContentLength: objectBytes }));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = now() - t0;
  return { objects: n, objectBytes, inFlight, seconds: round(s, 2), MBps: round((n * objectBytes) / 1e6 / s, 1) };
}

export async function benchUpload(ctx) {
  const { work } = ctx;
  let rgw;
  try {
    rgw = await startRgw(work);
  } catch (e) {
    log(`upload: radosgw unavailable: ${e.message}`);
    return { status: 'skipped', reason: e.message };
  }
  log(`upload: radosgw up at ${rgw.endpoint} in ${rgw.startSeconds} s`);
  const total = GiB;
  const src = randomFile(join(work, 'random-1g.bin'), total);
  const { S3Client, PutObjectCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = 'bench';
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e.name)) throw e;
  });
  const result = { status: 'ok', radosgwStartSeconds: rgw.startSeconds, bytes: total, bare: [] };

  log('upload: bare PutObject loop (8 MiB, 4 in flight), before');
  result.bare.push(await bareLoop(s3, PutObjectCommand, bucket, 'bare-1', total, 8 * MiB, 4));
  log(`upload:   ${result.bare[0].MBps} MB/s`);

  const store = `s3://${bucket}/tidegate?endpoint=${encodeURIComponent(rgw.endpoint)}&region=${rgw.region}&forcePathStyle=true`;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKey, AWS_SECRET_ACCESS_KEY: rgw.secretKey, AWS_REGION: rgw.region };
  const gw = await startGateway('upload', { store, env, uploadBufferSize: '4GiB', cacheSize: '2GiB' });
  try {
    await gw.cli(['volume', 'create', 'up', '--size', '2GiB']);
    log('upload: Tidegate: write 1 GiB (nbdcopy --flush), then volume sync');
    const c0 = cpuSeconds(gw.pid);
    const t0 = now();
    await run('nbdcopy', ['--flush', src, gw.uri('up')], { timeoutMs: 900_000 });
    const t1 = now();
    const sync = await gw.cli(['volume', 'sync', 'up', '--json'], { timeoutMs: 900_000 });
    const t2 = now();
    result.tidegate = {
      writeSeconds: round(t1 - t0, 2),
      writeMBps: round(total / 1e6 / (t1 - t0), 1),
      syncSeconds: round(t2 - t1, 2),
      writeToRecoveryPointSeconds: round(t2 - t0, 2),
      endToEndMBps: round(total / 1e6 / (t2 - t0), 1),
      recoveryPoint: JSON.parse(sync.stdout),
      serverCpuSeconds: round(cpuSeconds(gw.pid) - c0, 2),
    };
    log(`upload:   Tidegate ${result.tidegate.endToEndMBps} MB/s end to end (${result.tidegate.writeToRecoveryPointSeconds} s)`);
  } finally {
    await stopDaemon(gw.daemon, 20_000);
  }

  log('upload: bare PutObject loop, after');
  result.bare.push(await bareLoop(s3, PutObjectCommand, bucket, 'bare-2', total, 8 * MiB, 4));
  log(`upload:   ${result.bare[1].MBps} MB/s`);
  s3.destroy();
  const bareMBps = round(result.bare.reduce((a, b) => a + b.MBps, 0) / result.bare.length, 1);
  result.bareMeanMBps = bareMBps;
  result.ratio = result.tidegate ? round(result.tidegate.endToEndMBps / bareMBps, 3) : null;
  return result;
}
