# Two entry points (see README): `make up` runs the dev stack, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The library is installed as a regular (not editable) package: Pulumi's Python language host
# looks for pulumi_flowroute/pulumi-plugin.json in site-packages, which an editable install lacks.
# So the venv is refreshed whenever the library's files change.
SOURCES := $(shell find provider -name '*.py' -o -name '*.json' -o -name 'py.typed')

.PHONY: up cli test lint typecheck unit e2e compat bench bench-quick clean

$(STAMP): pyproject.toml requirements.txt $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt '.[dev]'
	touch $(STAMP)

# The real Pulumi CLI: the one on PATH, else a one-time build from the Go module proxy.
cli:
	@scripts/pulumi-cli

up: $(STAMP)
	@scripts/up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -m "not e2e"

# The end-to-end suite alone: the real Pulumi CLI driving temporary copies of the project.
e2e: $(STAMP)
	$(BIN)/pytest -m e2e

# The lowest and the newest Python the package claims: the unit suite again in a venv of each.
COMPAT_PYTHONS ?= 3.10 3.13
compat:
	@for version in $(COMPAT_PYTHONS); do \
		scripts/python-venv $$version .venv-$$version && \
		.venv-$$version/bin/pytest -m "not e2e" -q -p no:cacheprovider || exit 1; \
	done

# The quick benchmark is a smoke check of bench/ only: it asserts nothing about time.
test: lint typecheck unit e2e compat bench-quick

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick --out build/bench-quick.json

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache
