# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck install migrate content browser-deps clean

# Everything but the app itself comes from the lock, checked against its hashes.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Rewrites the lock (runtime and dev extras, Python 3.11 on Linux x86_64) after a dependency
# changes in pyproject.toml, keeping every other pin; UPGRADE=1 takes the newest releases within
# pyproject.toml's bounds instead. The next `make` installs the new lock.
.PHONY: lock
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) --output-file $(LOCK)

migrate: install
	$(FLASK) db upgrade

content: migrate
	$(FLASK) content sync

# Links the app prints or emails (the demo admin's sign-in page) point at this server unless
# CLINIC_PUBLIC_URL says otherwise.
SERVE_URL = CLINIC_PUBLIC_URL="$${CLINIC_PUBLIC_URL:-http://$(HOST):$(PORT)}"

# In development, says how to sign in on every start (and creates the demo admin on a new
# database). `make run PORT=5001` serves on another port.
run: content
	@$(SERVE_URL) $(FLASK) users ensure-demo-admin
	@$(SERVE_URL) $(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive clinic --severity-level medium

# Strict on the packages [tool.mypy] lists in pyproject.toml (models and the lead domain).
typecheck: install
	$(BIN)/mypy

# The browser tests (tests/browser) need Debian's Chromium, installed here when missing and we
# are root (elsewhere they skip with a message), and axe-core from npm at the version that
# package-lock.json pins (node_modules/ is gitignored).
browser-deps: install
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "browser tests: installing chromium with apt-get"; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 \
	      || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) \
	      || echo "browser tests: could not install chromium; they will be skipped"; \
	  else echo "browser tests: /usr/bin/chromium missing and not root; they will be skipped"; fi; \
	fi
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null; then \
	    npm ci --silent --no-audit --no-fund \
	      || echo "browser tests: npm ci failed; the accessibility checks will be skipped"; \
	  else echo "browser tests: npm missing; the accessibility checks will be skipped"; fi; \
	fi

# Tests run in parallel (pytest-xdist), each worker on its own database (tests/conftest.py);
# many of them wait on a server, a browser or a subprocess, so more workers than cores pays.
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 4
test: lint typecheck browser-deps
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache node_modules
