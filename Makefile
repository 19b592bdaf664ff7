# StockDesk — the two commands a new machine needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install browser-deps migrate seed lint format serve-scaled clean

## Create the virtual environment and install pinned dependencies (only when they changed).
install: $(INSTALLED)
$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

## Headless Chromium for the browser tests (Debian packages; Playwright never downloads one),
## and axe-core for their accessibility scan (npm ci from package-lock.json, only when it changed).
browser-deps: node_modules/.package-lock.json
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "Chromium not found at $(CHROMIUM): browser tests will be skipped (install the chromium package)."; \
	  fi; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing npm for the accessibility scan..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi
	npm ci --no-audit --no-fund

## 1) Run StockDesk embedded (SQLite, eager tasks, mail in var/mail) with demo data on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## 2) Run the test suite (SQLite; set DATABASE_URL / REDIS_URL to run it on PostgreSQL / Redis)
test: install browser-deps
	$(BIN)/pytest

## Run scaled locally: the Procfile's web (gunicorn gthread), worker and beat against
## PostgreSQL and Redis from DATABASE_URL / REDIS_URL (e.g. the machine's own services):
##   DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockdesk REDIS_URL=redis://127.0.0.1:6379/0 make serve-scaled
## Sizing for this 2-core machine: 4 web processes x 4 threads, a pool of up to 10 database
## connections each, 2 worker processes. Override WEB_CONCURRENCY, GUNICORN_THREADS, DB_POOL_MAX.
serve-scaled: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (PostgreSQL) first."; exit 2; }
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL first."; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	mkdir -p var
	PATH="$(CURDIR)/$(BIN):$$PATH" WEB_CONCURRENCY=$${WEB_CONCURRENCY:-4} GUNICORN_THREADS=$${GUNICORN_THREADS:-4} \
	  BIND=$${BIND:-127.0.0.1:8000} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	  $(BIN)/honcho start -f Procfile web worker beat

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: install
	$(BIN)/python manage.py seed_demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
