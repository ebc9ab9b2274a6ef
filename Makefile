# The two promises of the README:
#   make run   - set up and serve the app (SQLite, in-process broker, demo data) on http://127.0.0.1:5000
#   make test  - set up and run the whole test suite (SQLite, then PostgreSQL)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# The PostgreSQL pass of `make test`; CI starts the server (.ci/run).
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgres chromium nginx bench clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime
	CHESSWEB_ENV=development $(BIN)/flask --app app db upgrade
	CHESSWEB_ENV=development $(BIN)/flask --app app seed-demo
	@echo
	@echo "  ChessWeb is starting on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	@echo
	CHESSWEB_ENV=development BIND=$(HOST):$(PORT) WEB_CONCURRENCY=1 $(BIN)/gunicorn app:app

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# Debian's nginx runs docs/deploy/nginx.conf in front of gunicorn in tests/deploy (the production recipe).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx-light; }

test: $(VENV)/.dev chromium nginx
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(VENV)/.dev
	env -u DATABASE_URL $(BIN)/pytest

# Everything that touches the database again, on PostgreSQL (pure chess logic needs no second run), and
# the multi-process tests, since PostgreSQL is what several processes share in production.
test-postgres: $(VENV)/.dev
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -m "not slow or scale_out" --ignore=tests/fide

# Quick runs; see each script's --help for the full measurements reported in the README.
bench: $(VENV)/.dev
	$(BIN)/python bench/tournament_engine.py
	$(BIN)/python bench/fanout.py --quick

clean:
	rm -rf $(VENV) .pytest_cache
