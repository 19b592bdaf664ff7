"""gunicorn settings for StockDesk: the Procfile's `web`, `make serve-scaled` and bench/load_bench.py.

Sized for a small machine by default (this one has 2 cores): 4 processes of 4 threads each,
gthread, because pages wait on PostgreSQL and Redis about as long as they compute. More processes
with fewer threads share the interpreter lock less: on checkout (CPU-bound, 50 users) 4 x 4 placed
82-98 orders/s where 3 x 8 placed 73-83 in the same runs (docs/performance.md). Each process holds
its chat engine, about 450 MB. Override with WEB_CONCURRENCY, GUNICORN_THREADS, BIND / PORT.
"""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
# Idle keep-alive connections are closed after this many seconds. gunicorn's default of 2 s is the
# think time of a customer between two clicks: a request sent just as the server closes the idle
# connection fails ("Remote end closed connection"), seen once in the load benchmark's mix.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
graceful_timeout = 20
# Recycle workers now and then (a leak cannot grow forever), but rarely: each new process builds
# its chat engine again (seconds of CPU).
# A recycled process closes its idle keep-alive connections, and a client that reuses one at that
# moment sees a reset (a proxy in front retries it; a bare client may not): at 50,000 the load
# benchmark's busiest process recycled in the middle of a run.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Every worker builds its chat engine in the background as it starts, not on the first chat
# message (``chatbot.apps``); this also covers `python -m gunicorn`, whose argv says nothing.
os.environ.setdefault("CHATBOT_WARM_UP", "1")
