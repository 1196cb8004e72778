#!/usr/bin/env node
// The `tidegate` command: runs the compiled CLI (npm run build writes out/node/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'node', 'src-main', 'cli', 'entry.js');
if (!existsSync(entry)) {
  process.stderr.write('tidegate: not built yet — run "npm run build" in the Tidegate folder first\n');
  process.exit(1);
}
await import(pathToFileURL(entry).href);
