#!/usr/bin/env bash
# Stop the servers started by tests/clickhouse/start_cluster.sh DIR.
#
#   tests/clickhouse/stop_cluster.sh DIR [--clean]
#
# Sends SIGTERM to each pid in DIR/{a,b}/server.pid (only if that pid is still a clickhouse
# process), waits up to HUNTBENCH_CH_STOP_TIMEOUT seconds (default 30) for it to exit, then
# SIGKILLs it. 18.16 shuts down in about 1-2 s. With --clean, DIR is removed afterwards.
# Safe to run when nothing is running.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [--clean]" >&2
  exit 2
fi
DIR=$1
TIMEOUT=${HUNTBENCH_CH_STOP_TIMEOUT:-30}

is_ours() {
  kill -0 "$1" 2>/dev/null && grep -q clickhouse "/proc/$1/cmdline" 2>/dev/null
}

pids=()
for n in a b; do
  f="$DIR/$n/server.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if [ -n "$pid" ] && is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  fi
  rm -f "$f"
done

deadline=$(( $(date +%s) + TIMEOUT ))
for pid in "${pids[@]+"${pids[@]}"}"; do
  while is_ours "$pid"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "stop_cluster.sh: pid $pid did not stop within ${TIMEOUT}s; killing" >&2
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
done

if [ "${2:-}" = "--clean" ]; then
  rm -rf "$DIR"
fi
exit 0
