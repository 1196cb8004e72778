/**
 * An nginx configuration that puts several control-plane servers behind one address: TLS
 * on the front with the deployment's certificate, WebSocket upgrades passed through, and
 * the next server tried when one is down — so a gateway whose server died reconnects to
 * a live one on its next attempt. Printed by `tidegate control-plane nginx-config`; the
 * cluster test runs nginx with exactly this file.
 */

/** What the generated configuration needs. */
export interface NginxConfigOptions {
  /** Front address, e.g. `127.0.0.1:9443`. */
  listen: string;
  /** Control-plane servers, `host:port` each. */
  upstreams: string[];
  /** The deployment's TLS files (`<data-dir>/tls/`). */
  certFile: string;
  keyFile: string;
  caFile: string;
  /**
   * A self-contained nginx: pid file, logs and temp folders under this folder, in the
   * foreground, workers as the current user. Omit to get only the `http { … }` part to
   * drop into an existing installation.
   */
  standaloneDir?: string;
  /** `user root;` is needed when a standalone nginx is started by root. */
  runAsRoot?: boolean;
}

/** The nginx configuration text. */
export function nginxConfig(o: NginxConfigOptions): string {
  if (o.upstreams.length === 0) throw new Error('nginx config needs at least one upstream');
  const servers = o.upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=10s;`).join('\n');
  const http = `
  upstream tidegate_control_plane {
${servers}
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }
  server {
    listen ${o.listen} ssl;
    ssl_certificate     ${o.certFile};
    ssl_certificate_key ${o.keyFile};
    location / {
      proxy_pass https://tidegate_control_plane;
      proxy_http_version 1.1;
      # Management connections are WebSockets: pass the upgrade through.
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      # Overwrite, never append: with --trust-proxy the servers rate-limit by this address,
      # and a client must not be able to choose it.
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_ssl_trusted_certificate ${o.caFile};
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      # Connections live for days; heartbeats (10 s) keep them busy, so no idle timeout fires.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_connect_timeout 2s;
      # A dead server: try the next one (requests are idempotent by id on the gateway side).
      proxy_next_upstream error timeout http_502 http_503;
    }
  }`;
  if (o.standaloneDir === undefined) return `http {${http}\n}\n`;
  const d = o.standaloneDir;
  return `${o.runAsRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
${http}
}
`;
}
