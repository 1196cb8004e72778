/**
 * Vitest globalSetup: one real S3 endpoint (single-node Ceph + radosgw on 127.0.0.1) for
 * the whole test run, started by scripts/ceph-rgw-up.sh in a fresh temp folder on free
 * ports and stopped (by PID) and wiped at the end.
 *
 *  - TIDEGATE_TEST_S3_ENDPOINT (+ _ACCESS_KEY, _SECRET_KEY, optional _REGION) set: use
 *    that endpoint instead and start nothing.
 *  - Ceph binaries missing: with CI set, fail the run; otherwise provide only a skip
 *    reason, and S3 tests skip with "radosgw not installed".
 *
 * Tests read the result with `s3TestTarget()` from ./s3-test-bucket.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync, mkdtempSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** Where tests find the S3 endpoint. */
export interface S3TestEndpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared S3 endpoint, when one is available. */
    tidegateS3?: S3TestEndpoint;
    /** Why there is no S3 endpoint (tests skip with this reason). */
    tidegateS3SkipReason?: string;
  }
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const UP_SCRIPT = path.join(REPO_ROOT, 'scripts/ceph-rgw-up.sh');
const DOWN_SCRIPT = path.join(REPO_ROOT, 'scripts/ceph-rgw-down.sh');
const CEPH_TOOLS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'ceph-authtool', 'monmaptool'];
const START_TIMEOUT_MS = 150_000;

/** Starts radosgw (or adopts an external endpoint) and provides it to the tests. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TIDEGATE_TEST_S3_ENDPOINT;
  if (external) {
    const accessKeyId = process.env.TIDEGATE_TEST_S3_ACCESS_KEY;
    const secretAccessKey = process.env.TIDEGATE_TEST_S3_SECRET_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error('TIDEGATE_TEST_S3_ENDPOINT is set but TIDEGATE_TEST_S3_ACCESS_KEY / _SECRET_KEY are not');
    }
    project.provide('tidegateS3', {
      endpoint: external,
      region: process.env.TIDEGATE_TEST_S3_REGION ?? 'us-east-1',
      accessKeyId,
      secretAccessKey,
    });
    return undefined;
  }

  const missing = CEPH_TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) {
    if (process.env.CI) {
      throw new Error(`radosgw not installed (missing ${missing.join(', ')}); CI must install ceph-mon ceph-osd radosgw ceph-common`);
    }
    project.provide('tidegateS3SkipReason', 'radosgw not installed');
    return undefined;
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidegate-rgw-'));
  const rgwPort = await freePort();
  const monPort = await freePortPair();
  const started = Date.now();
  const env = {
    ...process.env,
    TIDEGATE_RGW_DIR: dir,
    TIDEGATE_RGW_PORT: String(rgwPort),
    TIDEGATE_MON_PORT: String(monPort),
  };
  const stop = (): void => {
    spawnSync('bash', [DOWN_SCRIPT, '--kill', '--wipe'], { env, stdio: 'ignore' });
  };
  // If the test process dies without running teardown, do not leave Ceph daemons behind.
  process.once('exit', stop);
  try {
    await runUpScript(env);
  } catch (err) {
    process.removeListener('exit', stop);
    stop();
    throw err;
  }
  const vars = parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8'));
  const endpoint: S3TestEndpoint = {
    endpoint: required(vars, 'TIDEGATE_TEST_S3_ENDPOINT'),
    region: required(vars, 'TIDEGATE_TEST_S3_REGION'),
    accessKeyId: required(vars, 'TIDEGATE_TEST_S3_ACCESS_KEY'),
    secretAccessKey: required(vars, 'TIDEGATE_TEST_S3_SECRET_KEY'),
  };
  if (process.env.TIDEGATE_TEST_VERBOSE) console.log(`radosgw ready at ${endpoint.endpoint} in ${Date.now() - started} ms`);
  project.provide('tidegateS3', endpoint);
  return async () => {
    process.removeListener('exit', stop);
    stop();
  };
}

function runUpScript(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [UP_SCRIPT], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM'); // its EXIT trap kills the daemons it started
      reject(new Error(`radosgw did not start within ${START_TIMEOUT_MS} ms:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`scripts/ceph-rgw-up.sh exited with ${code}:\n${stderr}`));
    });
  });
}

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, tool), fsConstants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

async function freePort(): Promise<number> {
  const port = await listenOn(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

/** A port p with p+1 free too (the monitor listens on both, msgr2 and msgr1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await listenOn(p)) !== undefined && (await listenOn(p + 1)) !== undefined) return p;
  }
  throw new Error('no free pair of ports on 127.0.0.1');
}

function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return vars;
}

function required(vars: Map<string, string>, name: string): string {
  const value = vars.get(name);
  if (!value) throw new Error(`scripts/ceph-rgw-up.sh wrote no ${name}`);
  return value;
}
