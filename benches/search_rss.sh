#!/usr/bin/env bash
# Peak RSS of the workbench (release build) in the search-beyond-the-ring scenario of issue 20,
# the one tests/tui_search_e2e.rs runs: 100,000 events appended to a followed log (the 26
# Covenant WMI lines of tests/fixtures/tui, then ECS process starts, the 500th generated one
# on a host no other event has), then `f host:rare-host-4242` Enter, which must find that
# event (1 of 1 match) after the ring dropped it. VmHWM is read from /proc/PID/status once
# the match is on screen. Run once with `--ring-size 1000` and once with the default ring.
#
#   benches/search_rss.sh            # CARGO=lcargo benches/search_rss.sh where builds are locked
set -euo pipefail
cd "$(dirname "$0")/.."
${CARGO:-cargo} build --release -q
bin=$PWD/target/release/huntbench
work=$(mktemp -d)
sock=hb-rss-$$
trap 'tmux -L $sock kill-server 2>/dev/null; rm -rf "$work"' EXIT

# The events: the Covenant lines, then 99,974 generated (the same shape as the e2e test's).
cp tests/fixtures/tui/covenant_proc_creation.jsonl "$work/covenant.jsonl"
awk 'BEGIN {
  for (i = 0; i < 99974; i++) {
    host = (i == 500) ? "RARE-HOST-4242" : sprintf("WS-%02d", i % 40);
    printf "{\"@timestamp\":\"2024-03-01T%02d:%02d:%02d.%03dZ\",\"host\":{\"name\":\"%s\"},\"event\":{\"category\":[\"process\"],\"type\":[\"start\"]},\"process\":{\"pid\":%d,\"executable\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"command_line\":\"cmd.exe /c echo generated-%d\"},\"user\":{\"name\":\"u%d\"}}\n",
      int(i / 3600) % 24, int(i / 60) % 60, i % 60, i % 1000, host, 1000 + i, i, i % 13
  }
}' >"$work/generated.ndjson"

wait_for() { # wait_for SECONDS TEXT: poll the screen until it shows TEXT
  local end=$((SECONDS + $1))
  until tmux -L $sock capture-pane -p -t rss | grep -qF -- "$2"; do
    if ((SECONDS > end)); then
      echo "timed out waiting for: $2" >&2
      tmux -L $sock capture-pane -p -t rss >&2
      exit 1
    fi
    sleep 0.1
  done
}

run() { # run LABEL [ARGS...]
  local label=$1
  shift
  local log=$work/session.ndjson state=$work/state-$label
  : >"$log"
  mkdir -p "$state"
  tmux -L $sock new-session -d -s rss -x 160 -y 45 \
    "exec env HUNTBENCH_DATA_DIR=$state HUNTBENCH_STATE_DIR=$state $bin $* --allowlist $state/allow.toml $log"
  wait_for 15 "huntbench ▸"
  local pid
  pid=$(tmux -L $sock display-message -p -t rss '#{pane_pid}')
  local t0=$SECONDS
  cat "$work/covenant.jsonl" "$work/generated.ndjson" >>"$log"
  wait_for 300 "100,000 ev "
  local ingest=$((SECONDS - t0))
  local before
  before=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
  tmux -L $sock send-keys -t rss f
  tmux -L $sock send-keys -t rss -l host:rare-host-4242
  tmux -L $sock send-keys -t rss Enter
  wait_for 60 "1 of 1 match "
  local hwm rss
  hwm=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
  rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)
  echo "$label: peak RSS (VmHWM) $((hwm / 1024)) MiB ($hwm KiB; $((before / 1024)) MiB before the search), RSS after $((rss / 1024)) MiB, 100,000 events ingested in ~${ingest} s"
  tmux -L $sock send-keys -t rss q
  tmux -L $sock kill-server 2>/dev/null || true
}

run "ring-1000" --ring-size 1000
run "default-ring" # 100,000 (huntbench::tui::DEFAULT_RING_SIZE)
