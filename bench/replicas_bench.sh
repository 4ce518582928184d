#!/usr/bin/env bash
# Capacity of replicas on this machine: N Sunsky accounts (each its own simulator, P products,
# pages of 20) synced from scratch by R replicas sharing one PostgreSQL store. Prints the time
# until every account's first cycle has completed, pages per second in all and per replica, and
# accounts per replica. Figures only; it asserts nothing.
#
#   CSYNC_TEST_PG_DSN=postgresql://... bench/replicas_bench.sh [ACCOUNTS] [REPLICAS] [PRODUCTS]
#
# Binaries from build/release (cmake --build --preset release --target commerce-syncd
# commerce-sim). The tables go to a schema of their own, dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-24}
replicas=${2:-1}
products=${3:-2000}
base=${CSYNC_TEST_PG_DSN:?set CSYNC_TEST_PG_DSN to a PostgreSQL connection string}
bin=build/release/src/app
schema=csync_bench_$$
case "$base" in
  postgres://*|postgresql://*)
    case "$base" in *\?*) dsn="$base&options=-csearch_path%3D$schema" ;;
                    *) dsn="$base?options=-csearch_path%3D$schema" ;; esac ;;
  *) dsn="$base options='-csearch_path=$schema'" ;;
esac
work=$(mktemp -d /tmp/csync-replicas-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$base" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q "$base" -c "CREATE SCHEMA $schema" >/dev/null

{
  echo "store: { backend: postgres, dsn: \"$dsn\" }"
  echo "http: { listen: off }"
  echo "log: { level: warn }"
  echo "accounts:"
} >"$work/config.yaml"
for i in $(seq 1 "$accounts"); do
  "$bin/commerce-sim" --platform sunsky --port 0 --port-file "$work/sim$i.port" --key bk \
    --secret bs --rate-limit 0 --products "$products" --seed "$i" >"$work/sim$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$accounts"); do
  until [ -s "$work/sim$i.port" ]; do sleep 0.1; done
  cat >>"$work/config.yaml" <<YAML
  - name: bench-$i
    platform: sunsky
    base_url: http://127.0.0.1:$(cat "$work/sim$i.port")
    rate_limit: { per_second: 500, burst: 100 }
    credentials: { key: bk, secret: bs }
    streams: { products: { page_size: 20, interval: 1h } }
YAML
done
"$bin/commerce-syncd" migrate -c "$work/config.yaml" >/dev/null

start=$(date +%s.%N)
for r in $(seq 1 "$replicas"); do
  "$bin/commerce-syncd" run -c "$work/config.yaml" >"$work/replica$r.log" 2>&1 &
  pids+=($!)
done
q() { psql -qtAX "$dsn" -c "$1"; }
until [ "$(q "SELECT count(DISTINCT account) FROM sync_runs WHERE finished_at IS NOT NULL AND error IS NULL")" -ge "$accounts" ]; do
  sleep 0.2
done
end=$(date +%s.%N)
pages=$(q "SELECT sum(pages) FROM sync_runs")
rows=$(q "SELECT count(*) FROM products")
awk -v a="$accounts" -v r="$replicas" -v p="$pages" -v n="$rows" -v s="$start" -v e="$end" 'BEGIN {
  t = e - s
  printf "%d accounts, %d replica(s): %d pages (%d products) in %.1f s\n", a, r, p, n, t
  printf "  %.1f pages/s in all, %.1f pages/s per replica, %.1f accounts per replica\n", p / t, p / t / r, a / r
}'
