#!/usr/bin/env bash
# Where the web processes spend their time under load: py-spy samples every gunicorn process
# (only the thread holding the interpreter lock, i.e. Python at work) while locust runs one
# saturation class of bench/load/locustfile.py, then prints the inclusive share of the busiest
# functions and of whatever frame names you pass.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockdesk_bench REDIS_URL=redis://127.0.0.1:6379/3 \
#     bash bench/web_profile.sh [Checkout|CataloguePages|ProductPages|AgentQueue|TicketPages] [frame ...]
#
# Run it on the load benchmark's seeded database (bench/load_bench.py seeds it). Bounded: 50
# users for 30 s on loopback, 15 s of sampling at 50 Hz. Shares are of samples, not CPU seconds;
# compare them with bench/checkout_profile.py's in-process figures before trusting one alone.
set -euo pipefail
cd "$(dirname "$0")/.."
CLASS=${1:-Checkout}
shift || true
: "${DATABASE_URL:?set DATABASE_URL to the benchmark database}" "${REDIS_URL:?set REDIS_URL}"
export DJANGO_SETTINGS_MODULE=helpdesk_project.settings.base ALLOWED_HOSTS=127.0.0.1 AXES_ENABLED=false \
  CHATBOT_RATE_IP=1000000/min CHATBOT_RATE_SESSION=1000000/min API_THROTTLE_USER=1000000/min \
  API_THROTTLE_ANON=1000000/min LOG_LEVEL=WARNING GUNICORN_ACCESS_LOG= GUNICORN_LOG_LEVEL=warning \
  CHATBOT_WARM_UP=0
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export BIND=127.0.0.1:$PORT
OUT=$(mktemp -d)
trap 'kill $WEB $WORKER 2>/dev/null || true; rm -rf "$OUT"' EXIT
.venv/bin/python bench/load/make_fixtures.py "$OUT/fixtures.json"
export BENCH_FIXTURES=$OUT/fixtures.json
.venv/bin/python -m gunicorn helpdesk_project.wsgi --config gunicorn.conf.py >"$OUT/web.log" 2>&1 &
WEB=$!
.venv/bin/python -m celery -A helpdesk_project worker -Q default,notifications -c 2 >"$OUT/worker.log" 2>&1 &
WORKER=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null && break; sleep 1; done
.venv/bin/python -m locust -f bench/load/locustfile.py --headless -u 50 -r 50 -t 30s \
  --host "http://127.0.0.1:$PORT" --csv "$OUT/locust" --only-summary "$CLASS" >/dev/null 2>&1 &
LOCUST=$!
sleep 8
for pid in $(cat "/proc/$WEB/task/$WEB/children"); do
  .venv/bin/py-spy record --pid "$pid" --gil --nonblocking --rate 50 --duration 15 --format raw \
    -o "$OUT/web_$pid.txt" >"$OUT/spy_$pid.log" 2>&1 &
done
wait $LOCUST
sleep 2
grep -h "Errors\|rror:" "$OUT"/spy_*.log >&2 || true
tail -1 "$OUT/locust_stats.csv" | awk -F, '{printf "%s: %s requests, %s failures, %.1f req/s\n", $2, $3, $4, $10}'
.venv/bin/python - "$OUT" "$@" <<'PY'
import collections, pathlib, re, sys

total, inclusive = 0, collections.Counter()
for path in pathlib.Path(sys.argv[1]).glob("web_*.txt"):
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        count = int(count)
        total += count
        for frame in {re.sub(r":\d+\)$", ")", f) for f in stack.split(";")}:
            inclusive[frame] += count
print(f"{total} samples of the web processes holding the interpreter lock")
wanted = sys.argv[2:]
rows = [(k, v) for k, v in inclusive.items() if any(w in k for w in wanted)] if wanted else inclusive.most_common(40)
for frame, count in sorted(rows, key=lambda kv: -kv[1]):
    print(f"{100 * count / total:5.1f}%  {frame[:150]}")
PY
