# Quick start: `make run` and `make test` set up everything they need themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup lock bench clean chromium postgresql

# The dashboard's address: `make run PORT=8001` (and HOST=0.0.0.0 to listen beyond this machine).
HOST ?= 127.0.0.1
PORT ?= 8000

$(STAMP): pyproject.toml requirements.lock
	@echo "setup 1/4: creating the virtual environment $(VENV) (first run only)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setup 2/4: updating pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "setup 3/4: installing the pinned packages of requirements.lock (2-3 minutes the first time)"
	@$(BIN)/python -m pip install --quiet -r requirements.lock
	@echo "setup 4/4: installing kelisim itself"
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)
	@echo "setup done: $(VENV) is ready"

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/kelisim run --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: $(STAMP) chromium postgresql
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

# Browser tests drive Debian's chromium through Playwright (never `playwright install`).
# Installed here when missing and running as root; otherwise those tests skip with a message.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "note: installing chromium failed: browser tests will be skipped"; \
	  else echo "note: /usr/bin/chromium is missing and not root: browser tests will be skipped"; fi; \
	fi

# The tests of every store also run on a throw-away PostgreSQL server (tests/pg_support.py)
# started from Debian's binaries, with PostGIS (optional: its tests skip without it). Installed
# here when missing and running as root; otherwise those tests skip with a message. Only the
# binaries are used: the package's own cluster is not needed.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
	      || echo "note: installing postgresql failed: PostgreSQL tests will be skipped"; \
	  else echo "note: PostgreSQL is missing and not root: PostgreSQL tests will be skipped"; fi; \
	fi
	@if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
	    && ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      postgresql-postgis) || echo "note: installing PostGIS failed: its tests will be skipped"; \
	  else echo "note: PostGIS is missing and not root: its tests will be skipped"; fi; \
	fi

# Re-resolve the pinned set after changing dependencies in pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet -e '.[dev]'
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^kelisim' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
