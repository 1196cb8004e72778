#!/usr/bin/env bash
# Start a disposable S3 endpoint for tests: a one-node Ceph cluster (one monitor, one OSD
# on a sparse file, no manager) and radosgw in front of it. Every socket binds 127.0.0.1.
#
# Needs the Debian packages ceph-mon ceph-osd radosgw ceph-common (Ceph 16.x).
#
#   scripts/ceph-rgw-up.sh      # starts the daemons, creates an S3 user, writes $DIR/env
#   scripts/ceph-rgw-down.sh    # stops exactly the daemons listed in $DIR/pids
#
# Settings (environment, all optional):
#   TIDEGATE_RGW_DIR       state folder, emptied first (default /tmp/tidegate-rgw)
#   TIDEGATE_RGW_PORT      S3 port (default 7480)
#   TIDEGATE_MON_PORT      monitor msgr2 port; msgr1 uses the next one (default 3300)
#   TIDEGATE_OSD_STORE     bluestore (default: sparse file, bounded RAM) | memstore (RAM only)
#   TIDEGATE_S3_ACCESS_KEY / TIDEGATE_S3_SECRET_KEY   fixed credentials (default: random)
#
# On success the last lines on stdout are KEY=value pairs, the same ones written to
# $DIR/env: TIDEGATE_TEST_S3_ENDPOINT, _REGION, _ACCESS_KEY, _SECRET_KEY.
#
# Client notes: radosgw 16 refuses the AWS SDK's default streaming checksums (HTTP 411), so
# clients set requestChecksumCalculation/responseChecksumValidation to WHEN_REQUIRED and use
# path-style addressing.
set -euo pipefail

DIR=${TIDEGATE_RGW_DIR:-/tmp/tidegate-rgw}
RGW_PORT=${TIDEGATE_RGW_PORT:-7480}
MON_PORT=${TIDEGATE_MON_PORT:-3300}
MON_PORT_V1=$((MON_PORT + 1))
OSD_STORE=${TIDEGATE_OSD_STORE:-bluestore}

random_key() { # length alphabet
  LC_ALL=C tr -dc "$2" </dev/urandom | head -c "$1" || true
}
ACCESS_KEY=${TIDEGATE_S3_ACCESS_KEY:-$(random_key 20 'A-Z0-9')}
SECRET_KEY=${TIDEGATE_S3_SECRET_KEY:-$(random_key 40 'A-Za-z0-9')}

started_at=$EPOCHREALTIME
say() { awk -v a="$started_at" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "ceph-rgw-up [%5.1fs] %s\n", b - a, m }' >&2; }

missing=()
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool uuidgen curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ceph-rgw-up: missing tools: ${missing[*]} (apt-get install ceph-mon ceph-osd radosgw ceph-common)" >&2
  exit 3
fi

if [ -s "$DIR/pids" ]; then
  echo "ceph-rgw-up: $DIR/pids exists; run scripts/ceph-rgw-down.sh first" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{run,log,tmp,mon.a,osd.0,rgw.a}
CONF=$DIR/ceph.conf
KEYRING=$DIR/keyring
FSID=$(uuidgen)
OSD_UUID=$(uuidgen)
: >"$DIR/pids"

# A half-started cluster is useless: on any failure stop what we started (logs stay).
ready=0
cleanup_on_failure() {
  [ "$ready" = 1 ] && return
  echo "ceph-rgw-up: start failed; logs in $DIR/log" >&2
  while read -r pid name; do
    kill -KILL "$pid" 2>/dev/null && echo "ceph-rgw-up: killed $name ($pid)" >&2
  done <"$DIR/pids"
  rm -f "$DIR/pids"
}
trap cleanup_on_failure EXIT

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT_V1]
public addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv4 = true
ms bind ipv6 = false
# cephx must stay on: radosgw hangs at start with auth = none
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $KEYRING
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
# one OSD: pools of size 1, few placement groups, no redundancy warnings
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
mon max pg per osd = 1000
ms async op threads = 2
# radosgw creates its pools one monitor command at a time; the default 1 s paxos
# interval makes that the slowest part of the start
paxos propose interval = 0.05

[mon]
mon data = $DIR/mon.\$id
mon cluster log file = $DIR/log/cluster.log

[osd]
osd data = $DIR/osd.\$id
osd objectstore = $OSD_STORE
memstore device bytes = 8589934592
# the block file must live outside the OSD data folder
bluestore block path = $DIR/osd.\$id.block
bluestore block size = 21474836480
bluestore block create = true
bluestore fsck on mount = false
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw.a
rgw thread pool size = 64
rgw enable usage log = false
rgw dns name = localhost
rgw gc obj min wait = 60
rgw gc processor period = 60
CONF

# All keys in one keyring; the monitor imports it at mkfs.
ceph-authtool --create-keyring "$KEYRING" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$KEYRING" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$KEYRING" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
ceph-authtool "$KEYRING" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null

run_daemon() { # name command... (its pid goes to $DIR/pids and to DAEMON_PID)
  local name=$1
  shift
  "$@" -c "$CONF" -f </dev/null >>"$DIR/log/$name.out" 2>&1 &
  DAEMON_PID=$!
  echo "$DAEMON_PID $name" >>"$DIR/pids"
}
# A daemon that exited will never answer: say so at once rather than retry for minutes.
alive() { kill -0 "$1" 2>/dev/null; }
ceph_cli() { ceph -c "$CONF" --connect-timeout 10 "$@"; }
wait_until() { # pid tries command...: until the command succeeds; gives up at once if daemon pid exited
  local pid=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    alive "$pid" || return 1
    "$@" && return 0
    sleep 0.25
  done
  return 1
}

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT_V1]" "$DIR/tmp/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/tmp/monmap" --keyring "$KEYRING"
mon_up() { ceph_cli mon stat >/dev/null 2>&1; }
run_daemon mon.a ceph-mon -i a
MON_PID=$DAEMON_PID
if ! wait_until "$MON_PID" 120 mon_up; then
  alive "$MON_PID" && { echo "ceph-rgw-up: monitor did not answer" >&2; exit 1; }
  # Seen once in many runs: the monitor exited silently right after its first start.
  say "monitor exited at start; starting it once more"
  run_daemon mon.a ceph-mon -i a
  MON_PID=$DAEMON_PID
  wait_until "$MON_PID" 120 mon_up || { echo "ceph-rgw-up: monitor did not answer" >&2; tail -20 "$DIR/log/mon.a.log" >&2 || true; exit 1; }
fi
say "monitor up"
ceph_cli config set mon auth_allow_insecure_global_id_reclaim false >/dev/null 2>&1 || true

osd_id=$(ceph_cli osd new "$OSD_UUID")
[ "$osd_id" = 0 ] || { echo "ceph-rgw-up: expected osd id 0, got $osd_id" >&2; exit 1; }
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --keyring "$KEYRING" >>"$DIR/log/osd.0.out" 2>&1
run_daemon osd.0 ceph-osd -i 0
osd_up() { ceph_cli osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1'; }
wait_until "$DAEMON_PID" 240 osd_up || { echo "ceph-rgw-up: OSD did not come up" >&2; exit 1; }
say "OSD up ($OSD_STORE)"

run_daemon rgw.a radosgw -n client.rgw.a
rgw_up() { curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/"; }
if ! wait_until "$DAEMON_PID" 480 rgw_up; then
  echo "ceph-rgw-up: radosgw did not listen on 127.0.0.1:$RGW_PORT" >&2
  tail -20 "$DIR/log/client.rgw.a.log" >&2 || true
  exit 1
fi
say "radosgw listening on 127.0.0.1:$RGW_PORT"

radosgw-admin -c "$CONF" user create --uid=tidegate-test --display-name="Tidegate tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/tmp/user.json"
say "S3 user created"

cat >"$DIR/env" <<ENV
TIDEGATE_TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
TIDEGATE_TEST_S3_REGION=us-east-1
TIDEGATE_TEST_S3_ACCESS_KEY=$ACCESS_KEY
TIDEGATE_TEST_S3_SECRET_KEY=$SECRET_KEY
TIDEGATE_RGW_CEPH_CONF=$CONF
ENV
ready=1
say "ready"
cat "$DIR/env"
