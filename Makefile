# kpiworkshop — two commands: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint install install-test migrate seed messages translations pg-test worker-test clean help bench-setup datastack-check

help:
	@echo "make run   - set up (venv, install, migrate, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test  - set up and run lint, migration check and the whole test suite"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kpiworkshop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@ $(VENV)/.installed-run

# The Nu HTML Checker (vnu-jar, run with the system Java 17) for the e2e HTML validity check:
# from the npm registry into node_modules/ (git-ignored), exact version from package-lock.json,
# no install scripts (its postinstall would look for a Java download).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test node_modules/.installed

translations: $(VENV)/.installed-run
	$(PY) manage.py compiletranslations

run: install translations
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "kpiworkshop is starting on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: install-test translations lint
	$(PY) manage.py makemigrations --check --dry-run
	@$(PY) tests/e2e/browser_check.py
	$(BIN)/pytest $(PYTEST_ARGS)

# Used by .ci/run: the same suite on PostgreSQL, and the worker group (real Redis + Celery
# workers; the fault tests start and stop their own redis-server).
pg-test: install-test translations
	$(BIN)/pytest $(PYTEST_ARGS)

worker-test: install-test translations
	$(BIN)/pytest -m worker -p no:cacheprovider $(PYTEST_ARGS)

# The benchmarks' compiled load generator (Debian's wrk): benchmarks/*.py use it for GET pages.
bench-setup: install-test
	@command -v wrk >/dev/null 2>&1 || { echo "Installing wrk (needs sudo/apt)"; \
		(command -v sudo >/dev/null 2>&1 && sudo apt-get install -y wrk) || apt-get install -y wrk; }
	@wrk -v 2>&1 | head -1

# Issue 19: the dbt and OpenMetadata exports checked by the real tools, from their own
# virtualenv (.venv-dbt, requirements-dbt.txt; never in the app's): dbt parse and build,
# mf validate-configs, mf query against the app's preview, OpenMetadata 2.0.7's models.
DBT_VENV ?= .venv-dbt
$(DBT_VENV)/.installed: requirements-dbt.txt
	$(PYTHON) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dbt.txt
	$(DBT_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps 'openmetadata-ingestion==2.0.7.0'
	@touch $@

datastack-check: install-test $(DBT_VENV)/.installed
	KPIW_DBT_BIN=$(abspath $(DBT_VENV))/bin $(BIN)/pytest -m datastack -p no:cacheprovider tests/catalog/test_datastack_tools.py

clean:
	rm -rf $(VENV) $(DBT_VENV) node_modules staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache .ruff_cache
