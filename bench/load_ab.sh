#!/usr/bin/env bash
# Interleaved A/B of the load benchmark: two checkouts, each with its own PostgreSQL database and
# Redis db, run in turn (A, B, A, B, ...) with the same bench script, so that both see the same
# machine noise. The figures in docs/performance.md come from:
#
#   git worktree add --detach /tmp/sd-before <commit>
#   bench/load_ab.sh /tmp/sd-before . 2 /tmp/ab
#
# Arguments: checkout A, checkout B, rounds (default 2), output folder (default ./var/ab). Each run
# writes <out>/<a|b>-<round>.log and .md. The bench script of *this* checkout is used for both
# sides (copied into A), so both are measured the same way. Needs PostgreSQL and Redis on 127.0.0.1.
set -euo pipefail
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); rounds=${3:-2}; out=${4:-var/ab}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"; out=$(cd "$out" && pwd)
[ "$a" = "$here" ] || cp "$here/bench/load_bench.py" "$a/bench/load_bench.py"
[ "$b" = "$here" ] || cp "$here/bench/load_bench.py" "$b/bench/load_bench.py"
python=$here/.venv/bin/python
for round in $(seq "$rounds"); do
  for side in a b; do
    if [ $side = a ]; then dir=$a; db=sd_bench_a; redis=7; else dir=$b; db=sd_bench_b; redis=8; fi
    skip=""; [ "$round" = 1 ] || skip="--skip-seed"
    echo "round $round side $side ($dir) $(date -u +%T)"
    (cd "$dir" && DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db REDIS_URL=redis://127.0.0.1:6379/$redis \
      "$python" bench/load_bench.py --users 50 --seconds 20 --mix-seconds 30 --capacity 50,75,100,150 \
      --step-seconds 20 $skip --markdown "$out/$side-$round.md" > "$out/$side-$round.log" 2>&1)
  done
done
grep -H -E '^\*\*Capacity|orders/s|^\| (trivial|catalogue|product page|agent queue|ticket page) .*%' "$out"/*.log
