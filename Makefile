# Accord — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
HOST ?= 127.0.0.1
PG_URL ?= postgres://postgres@127.0.0.1:5432/accord
PYTEST_WORKERS ?= 2

.PHONY: install run test test-postgres e2e lint format lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt package.json package-lock.json
	@test -n "$(PYTHON)" || { echo "Accord needs Python 3.11 or newer on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --no-audit --no-fund --silent
	mkdir -p accord/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js accord/static/vendor/htmx.min.js
	touch $(STAMP)

run: install
	$(BIN)/accord migrate --noinput
	$(BIN)/accord demo --if-empty
	$(BIN)/accord serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"

# tests/domain is pure Python (no database); the generated API requests (api_fuzz) exercise the
# API's input handling and what they found runs on both as plain tests; the demo data (demo)
# is loaded by `make run` on SQLite and built through the same services the rest of the suite
# tests on PostgreSQL. The SQLite run has run all three; the rest runs again on PostgreSQL.
test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e and not api_fuzz and not demo" --create-db --ignore=tests/domain

e2e: install
	$(BIN)/pytest -m e2e tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/accord makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^accord' > requirements/lock.new
	{ sed -n '1,2p' requirements/lock.txt; cat requirements/lock.new; } > requirements/lock.txt && rm requirements/lock.new

clean:
	rm -rf $(VENV) node_modules accord/static/vendor
