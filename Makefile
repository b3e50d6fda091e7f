# Tandem — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make demo` installs what runs Tandem; `make test` (and the other developer targets) add the
# test and lint tools of `.[dev]`. Each has its stamp; the development install covers the demo.
RUN_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench install clean-demo mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): $(BIN)/python pyproject.toml
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then touch $(RUN_STAMP); \
	else $(BIN)/pip install --quiet -e . && touch $(RUN_STAMP); fi

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

## Start Tandem on the embedded SQLite database with demo data (http://127.0.0.1:8000).
demo: $(RUN_STAMP)
	$(BIN)/tandem demo

## Install everything and run every test: lint, types, the layer contract, unit, integration, browser.
test: $(STAMP)
	@echo "==> Lint (ruff) and format check"
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	@echo "==> Types (mypy)"
	$(BIN)/mypy
	@echo "==> The layer contract (import-linter)"
	$(BIN)/lint-imports
	@echo "==> Every test: unit, integration, browser (pytest on every core)"
	$(BIN)/pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks at 10k and 100k patients on SQLite and PostgreSQL (each request beside a raw-SQL replay of its statements), the audit trail under load and its search, the shared care plan; writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.audit_search
	$(BIN)/python -m bench.care_plan

clean-demo:
	rm -rf .tandem

## Mutation testing of the rules modules against the unit tests (about 12 minutes on 2 cores).
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results
