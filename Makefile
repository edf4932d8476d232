# Two entry points (see README): `make up` runs the dev stack, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The library is installed as a regular (not editable) package: Pulumi's Python language host
# looks for pulumi_flowroute/pulumi-plugin.json in site-packages, which an editable install lacks.
# So the venv is refreshed whenever the library's files change.
SOURCES := $(shell find provider -name '*.py' -o -name '*.json' -o -name 'py.typed')

.PHONY: up cli test lint typecheck unit e2e kill-matrix compat bench bench-quick clean

$(STAMP): pyproject.toml requirements.txt $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt '.[dev]'
	touch $(STAMP)

# The real Pulumi CLI and its Python, Node.js and YAML language hosts: the ones on PATH, else a
# one-time build (the CLI and the YAML host from the Go module proxy, the Python and Node.js hosts
# from ../shared/pulumi-language-python and ../shared/pulumi-language-nodejs).
cli:
	@scripts/pulumi-cli

# Plain `pulumi up` of the dev stack on the embedded emulator.
up: $(STAMP)
	@scripts/up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Most unit tests wait on loopback sockets and emulated delays, not on the CPU: four workers.
unit: $(STAMP)
	$(BIN)/pytest -m "not e2e" -n 4

# The end-to-end suite alone: plain `pulumi` driving temporary copies of the project and infra
# repos made from scratch. The CLI is provided first, so the workers never build it twice.
E2E_WORKERS ?= 2
e2e: $(STAMP) cli
	$(BIN)/pytest -m "e2e and not kill_matrix" -n $(E2E_WORKERS)

# Every cell of the kill-point matrix (make test runs a sample): the provider SIGKILLed before
# and after each write of a purchase, exact or search, with the user's alias or none.
kill-matrix: $(STAMP) cli
	$(BIN)/pytest -m e2e -k killed_mid_purchase -n $(E2E_WORKERS)

# The lowest and the newest Python the package claims: the unit suite again in a venv of each,
# less those that start an emulator server process (what they add, HTTP over loopback and its
# timing, the interpreter does not change; the main run has them).
COMPAT_PYTHONS ?= 3.10 3.13
compat:
	@for version in $(COMPAT_PYTHONS); do \
		scripts/python-venv $$version .venv-$$version && \
		.venv-$$version/bin/pytest -m "not e2e and not server" -n 4 -q -p no:cacheprovider \
			|| exit 1; \
	done

# The quick benchmark is a smoke check of bench/ only: it asserts nothing about time.
test: lint typecheck unit e2e compat bench-quick

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick --out build/bench-quick.json

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache
