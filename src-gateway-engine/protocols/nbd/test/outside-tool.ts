import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Run an outside program without blocking the event loop (the server under test shares it). */
export async function run(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const child = execFileAsync(file, args, {
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (options.input !== undefined) {
    child.child.stdin!.end(options.input);
  }
  return child;
}

/**
 * Why a tool is unusable, or undefined when it is usable. Callers fail when `CI` is set
 * (CI installs every tool) and skip with this reason otherwise.
 */
export async function missingTool(file: string, probeArgs: string[] = ['--version']): Promise<string | undefined> {
  try {
    await run(file, probeArgs, { timeoutMs: 20_000 });
    return undefined;
  } catch (err) {
    return `${file} ${probeArgs.join(' ')} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}
