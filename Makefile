# The two promises of the README:
#   make run   - set up and serve the app (SQLite, in-process broker, demo data) on http://127.0.0.1:5000
#   make test  - set up and run the whole test suite (SQLite, then PostgreSQL) against private servers
# Both can be run again after any failure: every step checks what is there and redoes what is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest worker processes (pytest-xdist): most tests wait on sockets, browsers and servers, so twice the
# cores keeps two cores busy. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 4
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Installs Debian packages, or stops with the command that would have (no root and no sudo).
APT_INSTALL = { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(1); } || { \
  echo "make: could not install Debian's $(1) (root or sudo is needed). Fix: sudo apt-get install $(1)"; exit 1; }

.PHONY: run test test-sqlite test-postgres venv chromium nginx servers bench clean

# A working virtualenv (its python runs pip) is kept; a half-made one (python3-venv was missing, the
# creation was interrupted) is removed and made again instead of failing every later run.
$(VENV)/.complete:
	@if [ -x $(BIN)/python ] && $(BIN)/python -m pip --version >/dev/null 2>&1; then touch $@; exit 0; fi; \
	[ -n "$(PYTHON)" ] || { echo "make: python3 not found. Fix: sudo apt-get install python3"; exit 1; }; \
	if [ -e $(VENV) ] || [ -L $(VENV) ]; then echo "make: $(VENV) is incomplete (no working pip); rebuilding it"; rm -rf $(VENV); fi; \
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  echo "make: python3 -m venv failed: installing Debian's python3-venv"; \
	  $(call APT_INSTALL,python3-venv) && $(PYTHON) -m venv $(VENV); } || { rm -rf $(VENV); \
	  echo "make: could not create $(VENV). Fix: sudo apt-get install python3-venv, then run make again"; exit 1; }; \
	$(BIN)/python -m pip --version >/dev/null || { rm -rf $(VENV); \
	  echo "make: $(VENV) has no pip. Fix: sudo apt-get install python3-venv, then run make again"; exit 1; }; \
	touch $@

venv: $(VENV)/.complete

$(VENV)/.runtime: $(VENV)/.complete requirements.txt
	@$(BIN)/pip install -q -r requirements.txt || { \
	  echo "make: pip could not install requirements.txt (see above; network or package index?). Fix that, then run make again"; exit 1; }
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@$(BIN)/pip install -q -r requirements-dev.txt || { \
	  echo "make: pip could not install requirements-dev.txt (see above). Fix that, then run make again"; exit 1; }
	@touch $@

run: $(VENV)/.runtime
	@CHESSWEB_ENV=development $(BIN)/flask --app app db upgrade || { \
	  echo "make: the database in instance/ could not be migrated (see above). Fix: move instance/chessweb.sqlite3 away, then make run"; exit 1; }
	@CHESSWEB_ENV=development $(BIN)/flask --app app seed-demo
	@echo
	@echo "  ChessWeb is starting on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	@echo
	CHESSWEB_ENV=development BIND=$(HOST):$(PORT) WEB_CONCURRENCY=1 $(BIN)/gunicorn app:app

chromium:
	@command -v chromium >/dev/null || $(call APT_INSTALL,chromium)

# Debian's nginx runs docs/deploy/nginx.conf in front of gunicorn in tests/deploy (the production recipe).
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || $(call APT_INSTALL,nginx-light)

# The test session starts its own PostgreSQL and Redis from these packages (tests/servers.py); it never
# uses the machine's running servers.
servers:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || $(call APT_INSTALL,postgresql)
	@command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || $(call APT_INSTALL,redis-server)

# One pass after the other: side by side they took longer (both are CPU-bound on two cores once the slow tests
# start first, tests/conftest.py).
test: $(VENV)/.dev chromium nginx servers
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(VENV)/.dev servers
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

# Everything that touches the database again, on PostgreSQL (pure chess logic needs no second run), and
# the multi-process tests, since PostgreSQL is what several processes share in production.
test-postgres: $(VENV)/.dev servers
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --database=postgresql -m "not slow or scale_out" --ignore=tests/fide

# Quick runs; see each script's --help for the full measurements reported in the README.
bench: $(VENV)/.dev
	$(BIN)/python bench/tournament_engine.py
	$(BIN)/python bench/fanout.py --quick

clean:
	rm -rf $(VENV) .pytest_cache
