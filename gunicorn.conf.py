"""gunicorn settings for StockDesk: the Procfile's `web`, `make serve-scaled` and bench/load_bench.py.

Sized for a small machine by default (this one has 2 cores): a few processes of 8 threads each,
gthread, because pages wait on PostgreSQL and Redis about as long as they compute. Override with
WEB_CONCURRENCY, GUNICORN_THREADS, BIND / PORT.
"""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20
# Recycle workers now and then (a leak cannot grow forever), but rarely: each new process builds
# its chat engine again (seconds of CPU).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Every worker builds its chat engine in the background as it starts, not on the first chat
# message (``chatbot.apps``); this also covers `python -m gunicorn`, whose argv says nothing.
os.environ.setdefault("CHATBOT_WARM_UP", "1")
