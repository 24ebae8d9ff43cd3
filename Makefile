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

# template.yml deployed into the emulated cloud (vpndiag deploy's own code, the emulated ROS
# creating every resource), then driven by the emulated platform: timers, EventBridge rules, the
# FC async queue, the role's RAM policy. Archive in var/archive, records in var/vpndiag.sqlite3.
run: $(STAMP)
	$(BIN)/vpndiag demo

# The same deployment as make run, into an emulator started for it (prints the stack's events and
# outputs). For a real account: docs/deploy.md (vpndiag deploy --region ... --code-bucket ...).
.PHONY: deploy
deploy: $(STAMP)
	$(BIN)/vpndiag deploy --emulated --poll 0.2

# build/archive.zip and build/sweep.zip: each function's index.py, vpndiag and the runtime
# dependencies for FC's python3.10 (x86_64); vpndiag deploy uploads them (docs/deploy.md).
.PHONY: package
package: $(STAMP)
	$(BIN)/python tools/package.py

# The project against the same pipeline on the official SDKs (bench/baseline/), on the loopback
# emulator: cold start, client CPU per diagnosis, stalls, normalisation, sweep at scale, memory,
# package size. Prints the table; raw figures in bench/results/ (docs/benchmarks.md: the method).
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench

# A bounded soak on the loopback emulator (a process of its own): 10,000 diagnoses archived, then
# 1,000 with connection health, about 12 % of all calls faulted, the platform's retries and dead
# letters. A few minutes on 2 cores; prints archived, faults, retries, lost and duplicated, and
# fails when anything was lost or duplicated (docs/reliability.md: the guarantees and figures).
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python tools/soak.py --json var/soak.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The deployable code must run on FC's python3.10 and python3.12: vermin checks every construct it
# uses, and the unit suite runs again under each real interpreter the machine has (pyenv's here).
COMPAT_PYTHONS := $(foreach v,3.10 3.12,$(firstword $(wildcard $(HOME)/.pyenv/versions/$(v).*/bin/python$(v)) $(wildcard /usr/bin/python$(v))))
TEST_TOOLS := $(shell sed -n 's/^ *"\(\(pytest\|responses\|hypothesis\|pyyaml\|alibabacloud-vpc20160428\)==[^"]*\)",/\1/p' pyproject.toml)

compat: $(STAMP)
	$(BIN)/vermin --no-tips --violations --target=3.10- shared/vpndiag functions
	@for py in $(COMPAT_PYTHONS); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); env=.venv-py$$v; \
	  echo "unit tests under Python $$v ($$py)"; \
	  if [ ! -f $$env/.installed ] || [ pyproject.toml -nt $$env/.installed ]; then \
	    $$py -m venv $$env && $$env/bin/pip install --quiet --disable-pip-version-check -e . $(TEST_TOOLS) && touch $$env/.installed || exit 1; \
	  fi; \
	  $$env/bin/python -m pytest tests/unit -q -p no:cacheprovider || exit 1; \
	done
	@[ -n "$(COMPAT_PYTHONS)" ] || echo "no python3.10/3.12 interpreter on this machine: vermin only"

# The browser tests (tests/browser/) render the HTML report in Debian's headless Chromium; a
# CJK font shows its Chinese texts. Installed once, from the Debian packages (needs root).
.PHONY: browser
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update && apt-get install -y --no-install-recommends chromium fonts-wqy-microhei)

test: lint typecheck compat browser
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .venv-py3.* var
