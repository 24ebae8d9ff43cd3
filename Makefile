# Every target sets itself up: a fresh clone needs only python3 (>= 3.10) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck compat setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/vpndiag demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The deployable code must run on FC's python3.10: vermin checks every construct it uses, and the
# suite runs again under a real 3.10 / 3.12 interpreter when the machine has one.
compat: $(STAMP)
	$(BIN)/vermin --no-tips --violations --target=3.10- shared/vpndiag functions

test: lint typecheck compat
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var
