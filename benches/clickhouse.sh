#!/usr/bin/env bash
# `benches/clickhouse.sh`: ingest generated ECS events into a 2-shard ClickHouse cluster
# (Debian's 18.16, started here on loopback), hunt them there with a rule set, and time the
# local scan of the same file, in one run. Prints a Markdown table; asserts nothing.
#
# Knobs (environment): HB_EVENTS (default 1000000), HB_RULES (`corpus`: Elastic + Splunk +
# Sigma, the default; `seed`: the two bundled rules), HB_DATA (default target/bench-data),
# HUNTBENCH_CH_BATCH_LEAVES (leaves per query, default 150), HB_VIA (`shards`: each shard
# asked for its own table, the default; `distributed`: the Distributed table on server A),
# HUNTBENCH_CH_{A,B}_{HTTP,TCP,INTERSERVER}_PORT (default 23123/23124, 23900/23901,
# 23909/23910), HB_LEAF_COUNTS (set: also time
# the local `scan --leaf-counts`, the engine's reference path over every event and rule). The generated file is the one
# `cargo bench --bench scan` makes (`ecs_N_0.005.jsonl`: everyday Windows process starts, 0.5%
# of them remote wmic commands); it is made with that bench when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${HB_EVENTS:-1000000}
RULES=${HB_RULES:-corpus}
DATA=${HB_DATA:-$PWD/target/bench-data}
FILE="$DATA/ecs_${N}_0.005.jsonl"
mkdir -p "$DATA"

CARGO=${CARGO:-cargo}  # CARGO=lcargo where builds share a lock
$CARGO build --release -q
BIN=$PWD/target/release/huntbench
if [ ! -f "$FILE" ]; then
  echo "generating $FILE (cargo bench --bench scan)" >&2
  HB_EVENTS=$N HB_RUNS=1 HB_FORMATS=ecs HB_CANDIDATES=0.005 HB_RULES=seed HB_DATA=$DATA \
    $CARGO bench -q --bench scan >/dev/null
fi
case "$RULES" in
  corpus) RULE_ARGS=(--rules ../shared/corpus/rules/elastic-detection-rules
                     --rules ../shared/corpus/rules/splunk-security_content
                     --rules ../shared/corpus/rules/sigma) ;;
  seed) RULE_ARGS=() ;;
  *) echo "HB_RULES: corpus or seed" >&2; exit 2 ;;
esac

CL=$(mktemp -d /tmp/huntbench-ch-bench.XXXXXX)
export HUNTBENCH_CH_A_HTTP_PORT=${HUNTBENCH_CH_A_HTTP_PORT:-23123}
export HUNTBENCH_CH_B_HTTP_PORT=${HUNTBENCH_CH_B_HTTP_PORT:-23124}
export HUNTBENCH_CH_A_TCP_PORT=${HUNTBENCH_CH_A_TCP_PORT:-23900}
export HUNTBENCH_CH_B_TCP_PORT=${HUNTBENCH_CH_B_TCP_PORT:-23901}
export HUNTBENCH_CH_A_INTERSERVER_PORT=${HUNTBENCH_CH_A_INTERSERVER_PORT:-23909}
export HUNTBENCH_CH_B_INTERSERVER_PORT=${HUNTBENCH_CH_B_INTERSERVER_PORT:-23910}
trap 'tests/clickhouse/stop_cluster.sh "$CL" --clean >/dev/null 2>&1 || true' EXIT
tests/clickhouse/start_cluster.sh "$CL" >&2
URL=http://127.0.0.1:$HUNTBENCH_CH_A_HTTP_PORT
URL_B=http://127.0.0.1:$HUNTBENCH_CH_B_HTTP_PORT
# The hunt asks each shard for its own table (HB_VIA=shards, the default) or the server A
# for the Distributed table (HB_VIA=distributed).
case "${HB_VIA:-shards}" in
  shards) HUNT_ARGS=(--clickhouse "$URL" --clickhouse "$URL_B" --table bench) ;;
  distributed) HUNT_ARGS=(--clickhouse "$URL" --table bench_all) ;;
  *) echo "HB_VIA: shards or distributed" >&2; exit 2 ;;
esac

# Tables on both nodes.
"$BIN" clickhouse ddl --table bench --cluster huntbench "${RULE_ARGS[@]}" 2>/dev/null >"$CL/ddl.sql"
python3 - "$CL/ddl.sql" "$HUNTBENCH_CH_A_HTTP_PORT" "$HUNTBENCH_CH_B_HTTP_PORT" <<'EOF'
import sys, urllib.request
for port in sys.argv[2:]:
    for st in open(sys.argv[1]).read().split(";\n"):
        if st.strip():
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/", data=st.encode()))
EOF

secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

t=$(now)
"$BIN" ingest --clickhouse "$URL" --table bench_all "$FILE" 2>"$CL/ingest.err"
ingest_s=$(secs "$t")
rows_a=$(curl -s "$URL/" --data-binary "SELECT count() FROM bench")
rows_b=$(curl -s "$URL_B/" --data-binary "SELECT count() FROM bench")
disk=$(curl -s "$URL/" --data-binary "SELECT sum(bytes) FROM cluster('huntbench', system.parts) WHERE table = 'bench' AND active")

t=$(now)
"$BIN" scan "${HUNT_ARGS[@]}" "${RULE_ARGS[@]}" >"$CL/ch.out" 2>"$CL/ch.err"
hunt_s=$(secs "$t")
t=$(now)
"$BIN" scan "${RULE_ARGS[@]}" "$FILE" >"$CL/local.out" 2>"$CL/local.err"
local_s=$(secs "$t")
local_counts_s="-"
if [ -n "${HB_LEAF_COUNTS:-}" ]; then
  t=$(now)
  "$BIN" scan --leaf-counts "${RULE_ARGS[@]}" "$FILE" >"$CL/local_counts.out" 2>"$CL/local_counts.err"
  local_counts_s="$(secs "$t") s"
fi

hits_ch=$(grep -vc '^{"summary"' "$CL/ch.out" || true)
hits_local=$(grep -vc '^{"summary"' "$CL/local.out" || true)
same=$([ "$(grep -v '^{"summary"' "$CL/ch.out" | md5sum)" = "$(md5sum <"$CL/local.out")" ] && echo yes || echo NO)
queries=$(grep -o '[0-9]* queries' "$CL/ch.err" | head -1)

echo
echo "| events | rules | ingest | ingest events/s | rows shard A / B | on disk | hunt in cluster (counts + hits) | local scan (hits) | local scan --leaf-counts | hit lines (cluster / local, same) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "| $N | $RULES | ${ingest_s} s | $(python3 -c "print(f'{$N/$ingest_s:.0f}')") | $rows_a / $rows_b | $(python3 -c "print(f'{$disk/1e6:.0f} MB')") | ${hunt_s} s ($queries) | ${local_s} s | ${local_counts_s} | $hits_ch / $hits_local, $same |"
