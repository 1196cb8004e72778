#!/usr/bin/env bash
# Installs Tidegate's npm packages, builds it, and starts the gateway on embedded defaults:
# data in ~/.local/share/tidegate (a local-folder object store inside it), iSCSI on
# 127.0.0.1:3260, NBD on 127.0.0.1:10809, Prometheus metrics on 127.0.0.1:9109, an embedded
# control plane on https://127.0.0.1:9443, and the web console on http://127.0.0.1:9180 (open the
# URL it prints: it carries the console's access token; activate there or with
# `tidegate activate --name NAME`). Extra arguments go to `tidegate serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
npm run build
case " $* " in
  *" --console "*|*" --console="*) exec node bin/tidegate.js serve "$@" ;;
  *) exec node bin/tidegate.js serve --console 127.0.0.1:9180 "$@" ;;
esac
