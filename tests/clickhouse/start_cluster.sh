#!/usr/bin/env bash
# Start a throw-away 2-shard ClickHouse cluster on 127.0.0.1 for integration tests.
#
#   tests/clickhouse/start_cluster.sh DIR
#
# Writes DIR/a and DIR/b (config.xml, users.xml, data, logs), starts one clickhouse-server per
# directory in the background (pid in DIR/{a,b}/server.pid), and waits until both answer
# `GET /ping` with `Ok.` and both see the cluster `huntbench` (shard 1 = A, shard 2 = B).
# On success it prints the ports and writes them to DIR/cluster.env (shell `KEY=VALUE` lines).
# Stop with tests/clickhouse/stop_cluster.sh DIR. Starting again on the same DIR keeps the data.
#
# Works with Debian 12's clickhouse-server 18.16.1 (`apt-get install clickhouse-server`), which
# is happy to run as root. The configs use only keys that 18.16 knows; current releases still
# accept the old `<yandex>` root element.
#
# Environment (defaults are below the Linux ephemeral range 32768-60999 and away from the
# usual 8123/9000/9009):
#   HUNTBENCH_CH_A_HTTP_PORT=21123  HUNTBENCH_CH_A_TCP_PORT=21900  HUNTBENCH_CH_A_INTERSERVER_PORT=21909
#   HUNTBENCH_CH_B_HTTP_PORT=21124  HUNTBENCH_CH_B_TCP_PORT=21901  HUNTBENCH_CH_B_INTERSERVER_PORT=21910
#   HUNTBENCH_CH_START_TIMEOUT=60   seconds to wait for readiness
#   CLICKHOUSE_SERVER_BIN           path of clickhouse-server (default: PATH, then /usr/sbin)
#
# The servers' stdin/stdout/stderr are redirected to files, so a caller that captures this
# script's output (Rust `Command::output()`) is not kept waiting by the background servers.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
mkdir -p "$1"
DIR=$(cd "$1" && pwd)

A_HTTP=${HUNTBENCH_CH_A_HTTP_PORT:-21123}
A_TCP=${HUNTBENCH_CH_A_TCP_PORT:-21900}
A_INTER=${HUNTBENCH_CH_A_INTERSERVER_PORT:-21909}
B_HTTP=${HUNTBENCH_CH_B_HTTP_PORT:-21124}
B_TCP=${HUNTBENCH_CH_B_TCP_PORT:-21901}
B_INTER=${HUNTBENCH_CH_B_INTERSERVER_PORT:-21910}
TIMEOUT=${HUNTBENCH_CH_START_TIMEOUT:-60}

# --- find the server binary -------------------------------------------------------------------
# Debian 18.16: /usr/sbin/clickhouse-server (separate binaries over libclickhouse.so).
# Upstream packages: /usr/bin/clickhouse-server, a symlink to the single `clickhouse` binary.
SERVER_BIN=${CLICKHOUSE_SERVER_BIN:-}
if [ -z "$SERVER_BIN" ]; then
  SERVER_BIN=$(command -v clickhouse-server 2>/dev/null || true)
  [ -n "$SERVER_BIN" ] || [ ! -x /usr/sbin/clickhouse-server ] || SERVER_BIN=/usr/sbin/clickhouse-server
fi
if [ -z "$SERVER_BIN" ] || [ ! -x "$SERVER_BIN" ]; then
  echo "clickhouse-server not found (apt-get install clickhouse-server, or set CLICKHOUSE_SERVER_BIN)" >&2
  exit 1
fi

# --- helpers ------------------------------------------------------------------------------------
# Is something already listening on 127.0.0.1:$1?
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# HTTP GET http://127.0.0.1:$1$2 and print the body. Uses curl when present, else bash's
# /dev/tcp (a fresh Debian may lack curl).
http_get() {
  local port=$1 path=$2
  if command -v curl >/dev/null 2>&1; then
    curl -sS --max-time 2 "http://127.0.0.1:${port}${path}" 2>/dev/null
  else
    (
      exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
      printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
      # Drop the status line and headers; print the body.
      timeout 2 cat <&3 | tr -d '\r' | sed '1,/^$/d'
    ) 2>/dev/null
  fi
}

# Is the process in pid file $1 alive and a clickhouse-server (guards against pid reuse)?
pid_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q clickhouse "/proc/$pid/cmdline" 2>/dev/null
}

# write_config NAME HTTP TCP INTERSERVER: config.xml and users.xml in $DIR/NAME.
write_config() {
  local name=$1 http=$2 tcp=$3 inter=$4
  local d="$DIR/$name"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$d/log"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<!-- huntbench test server $name, written by tests/clickhouse/start_cluster.sh. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$d/log/server.log</log>
        <errorlog>$d/log/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>

    <!-- Loopback only. Only the listeners named here are opened: no HTTPS, no secure TCP
         (and on newer versions no MySQL/PostgreSQL/gRPC ports, as they are not configured). -->
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <!-- Only used for replication (not used here), but pinned so two servers never clash. -->
    <interserver_http_port>$inter</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>

    <!-- Everything on disk lives under this directory. Paths need the trailing slash. -->
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>

    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>

    <!-- Small caches: a test server on a 2-core CI box (allocated lazily anyway). -->
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>50</max_concurrent_queries>

    <!-- The test cluster: two shards of one replica each, both on loopback. The Distributed
         engine reaches the shards over their native TCP port, as user default (no password). -->
    <remote_servers>
        <huntbench>
            <shard>
                <replica><host>127.0.0.1</host><port>$A_TCP</port></replica>
            </shard>
            <shard>
                <replica><host>127.0.0.1</host><port>$B_TCP</port></replica>
            </shard>
        </huntbench>
    </remote_servers>
</yandex>
EOF
  cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<!-- One user, `default`, no password, loopback only. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default></default>
    </quotas>
</yandex>
EOF
}

fail() {
  echo "start_cluster.sh: $*" >&2
  for n in a b; do
    for f in "$DIR/$n/log/server.err.log" "$DIR/$n/log/server.log" "$DIR/$n/stdout.log"; do
      if [ -s "$f" ]; then
        echo "----- tail of $f -----" >&2
        tail -n 30 "$f" >&2
      fi
    done
  done
  "$(dirname "$0")/stop_cluster.sh" "$DIR" >&2 || true
  exit 1
}

# --- preflight ----------------------------------------------------------------------------------
for n in a b; do
  if pid_alive "$DIR/$n/server.pid"; then
    echo "start_cluster.sh: server $n already running (pid $(cat "$DIR/$n/server.pid")); run stop_cluster.sh $DIR first" >&2
    exit 1
  fi
done
for p in "$A_HTTP" "$A_TCP" "$A_INTER" "$B_HTTP" "$B_TCP" "$B_INTER"; do
  if port_busy "$p"; then
    echo "start_cluster.sh: port 127.0.0.1:$p is already in use (set HUNTBENCH_CH_*_PORT)" >&2
    exit 1
  fi
done

# --- write configs and start --------------------------------------------------------------------
write_config a "$A_HTTP" "$A_TCP" "$A_INTER"
write_config b "$B_HTTP" "$B_TCP" "$B_INTER"

start_ns=$(date +%s%N)
for n in a b; do
  # Foreground mode (no --daemon) in a background job: $! is the server's own pid.
  "$SERVER_BIN" --config-file="$DIR/$n/config.xml" \
    </dev/null >"$DIR/$n/stdout.log" 2>&1 &
  echo $! >"$DIR/$n/server.pid"
done

# --- wait for readiness ---------------------------------------------------------------------------
deadline=$(( $(date +%s) + TIMEOUT ))
for pair in "a:$A_HTTP" "b:$B_HTTP"; do
  n=${pair%%:*}
  port=${pair#*:}
  while :; do
    pid_alive "$DIR/$n/server.pid" || fail "server $n (pid $(cat "$DIR/$n/server.pid")) exited during start-up"
    [ "$(http_get "$port" /ping)" = "Ok." ] && break
    [ "$(date +%s)" -lt "$deadline" ] || fail "server $n did not answer /ping on port $port within ${TIMEOUT}s"
    sleep 0.1
  done
  # The cluster must be known to both servers (it comes from the config, so this is immediate).
  shards=$(http_get "$port" "/?query=SELECT%20count()%20FROM%20system.clusters%20WHERE%20cluster%3D'huntbench'")
  [ "$shards" = "2" ] || fail "server $n does not see cluster huntbench with 2 shards (got '$shards')"
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

cat >"$DIR/cluster.env" <<EOF
HUNTBENCH_CH_A_HTTP_PORT=$A_HTTP
HUNTBENCH_CH_A_TCP_PORT=$A_TCP
HUNTBENCH_CH_A_INTERSERVER_PORT=$A_INTER
HUNTBENCH_CH_B_HTTP_PORT=$B_HTTP
HUNTBENCH_CH_B_TCP_PORT=$B_TCP
HUNTBENCH_CH_B_INTERSERVER_PORT=$B_INTER
HUNTBENCH_CH_CLUSTER=huntbench
EOF
echo "clickhouse cluster huntbench ready in ${ready_ms} ms: A http=127.0.0.1:$A_HTTP tcp=$A_TCP (pid $(cat "$DIR/a/server.pid")), B http=127.0.0.1:$B_HTTP tcp=$B_TCP (pid $(cat "$DIR/b/server.pid"))"
