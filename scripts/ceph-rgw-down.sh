#!/usr/bin/env bash
# Stop the daemons that scripts/ceph-rgw-up.sh started — by the PIDs it recorded, never by
# name — newest first (radosgw, OSD, monitor).
#
#   TIDEGATE_RGW_DIR   state folder (default /tmp/tidegate-rgw)
#   --kill             SIGKILL at once (the state is disposable; TERM takes seconds)
#   --wipe             delete the state folder afterwards
set -uo pipefail
DIR=${TIDEGATE_RGW_DIR:-/tmp/tidegate-rgw}
signal=TERM
wipe=0
for arg in "$@"; do
  case $arg in
    --kill) signal=KILL ;;
    --wipe) wipe=1 ;;
    *) echo "ceph-rgw-down: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [ -f "$DIR/pids" ]; then
  # A PID is ours only if that process still runs with our ceph.conf (PIDs get reused).
  is_ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$DIR/ceph.conf"; }
  mapfile -t entries < <(tac "$DIR/pids")
  for entry in "${entries[@]}"; do
    pid=${entry%% *}
    if is_ours "$pid"; then kill -"$signal" "$pid" 2>/dev/null && echo "ceph-rgw-down: sent $signal to ${entry#* } ($pid)"; fi
  done
  for entry in "${entries[@]}"; do
    pid=${entry%% *}
    for _ in $(seq 1 50); do is_ours "$pid" || break; sleep 0.1; done
    if is_ours "$pid"; then kill -KILL "$pid" 2>/dev/null && echo "ceph-rgw-down: sent KILL to ${entry#* } ($pid)"; fi
  done
  rm -f "$DIR/pids"
else
  echo "ceph-rgw-down: no $DIR/pids; nothing to stop" >&2
fi
if [ "$wipe" = 1 ]; then rm -rf "$DIR" && echo "ceph-rgw-down: wiped $DIR"; fi
exit 0
