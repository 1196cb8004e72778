/**
 * The renderer's built files, served read-only from one folder. Paths are resolved inside
 * that folder (no `..` escape); an unknown path that looks like a page gets index.html, so
 * reloading `/#/volumes` or `/volumes` works; an unknown asset is a 404.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Send the file for `pathname` from `root` (index.html for page routes). */
export async function serveStaticFile(root: string, pathname: string, req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): Promise<void> {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  } catch {
    return notFound(res, headers);
  }
  if (rel.split(sep).includes('..')) return notFound(res, headers);
  let file = join(root, rel === '' ? 'index.html' : rel);
  let info = await stat(file).catch(() => null);
  if ((info === null || info.isDirectory()) && extname(rel) === '') {
    file = join(root, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (info === null || !info.isFile()) {
    if (rel === '' || extname(rel) === '' || rel === 'index.html') {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(`the console is not built: run "npm run build" (looked in ${root})\n`);
      return;
    }
    return notFound(res, headers);
  }
  const isHtml = file.endsWith('.html');
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    // Hashed assets never change; the page itself must always be fresh.
    'cache-control': isHtml ? 'no-store' : 'private, max-age=31536000, immutable',
    ...headers,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

function notFound(res: ServerResponse, headers: OutgoingHttpHeaders): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end('not found\n');
}
