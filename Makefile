# Two commands matter: `make run` (nightly job on the bundled sample) and `make test`.
# Everything is installed into the project: .tools (uv) and .venv (the locked environment).
PYTHON ?= python3
VENV := $(CURDIR)/.venv
UV := $(CURDIR)/.tools/bin/uv
UV_VERSION := 0.13.8

export DAGSTER_HOME := $(CURDIR)/.dagster
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
# A crash inside a native library (DuckDB, pyarrow) prints the Python stack instead of dying silently.
export PYTHONFAULTHANDLER := 1
# System packages (Pango for PDFs; Chromium for the tests) are installed as root, or with sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps browser-test-deps clock-test-deps lake-deps run run-lake dev dev-councils test test-fast test-slow \
	mutants simulate lint sample clean \
	vendor-govuk bench bench-lake profile

$(UV):
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: every process would otherwise compile the libraries it imports from source whenever
# Python may not write .pyc files (PYTHONDONTWRITEBYTECODE, a read-only install): ~17 s of each run's start-up.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --compile-bytecode --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	touch $@

install: system-deps $(VENV)/.synced

# WeasyPrint (PDF reports) needs the system's Pango; Debian's python images usually have it already.
system-deps:
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }

# The public-site test opens the site in Debian's headless Chromium (with chromedriver) and scans it with axe-core
# (pinned in tests/accessibility/package-lock.json). Installed only for the tests; as root, or with sudo.
AXE := tests/accessibility/node_modules/axe-core/axe.min.js

browser-test-deps: $(AXE)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

# Debian's faketime: the awkward-days test runs the whole nightly process on a faked clock, and the simulation
# runs its faulted runs at the simulated time. Installed only for the tests and the simulation.
clock-test-deps:
	@command -v faketime >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends faketime; }

# Debian's PostgreSQL server: the lake's catalog for `make run-lake` and the lake tests (started by them, in a folder
# of their own, on 127.0.0.1). `make run` needs none of it.
lake-deps:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql; }

$(AXE): tests/accessibility/package.json tests/accessibility/package-lock.json
	cd tests/accessibility && npm ci --no-audit --no-fund --silent
	touch $@

## run: install, generate the bundled sample (first time only), run the nightly job, print a summary
run: install
	$(VENV)/bin/python -m pipelines.cli run --sample

## run-lake: the bundled sample's two councils (Bromsgrove, Redditch) at once into one DuckLake, its catalog on a
## local PostgreSQL this starts (data/lake/); see README "Running several councils"
run-lake: install lake-deps
	$(VENV)/bin/python -m pipelines.cli run-lake --sample

## dev: the Dagster UI (and daemon) on the project-local instance in .dagster/
dev: install
	$(VENV)/bin/dagster dev -w workspace.yaml

## dev-councils: the shared code location (every council in councils/, or BDC_COUNCILS) in the Dagster UI, on its own
## project-local instance in .dagster-councils/ (one writer per council); each council's data under data/councils/<id>/
dev-councils: install
	DAGSTER_HOME=$(CURDIR)/.dagster-councils $(VENV)/bin/dagster dev -w deploy/councils/workspace.yaml

## test: the test suite, CI's (installs headless Chromium, axe-core and faketime first); under 15 minutes on 2 cores.
## It includes a simulation of 45 nights with faults; the longer suites are `make test-slow` and `make simulate`.
# The tests' temporary folders go on a memory file system when there is one: Dagster's SQLite bookkeeping and
# DuckDB's checkpoints wait on fsync, which is slow on many CI disks. pytest empties the folder at each start.
TEST_TMP ?= $(if $(wildcard /dev/shm/.),/dev/shm/bdc-pytest-$(shell id -u),$(CURDIR)/.pytest-tmp)
test: install browser-test-deps clock-test-deps lake-deps
	$(VENV)/bin/python -m pytest -m "not slow" -n 2 --dist loadfile --no-loadscope-reorder --basetemp=$(TEST_TMP) \
		--durations=20

## test-fast: the fast tier, every test that loads no whole night (the `night` marker: tests/conftest.py); under 5
## minutes on 2 cores. `make test` runs it too, with the nights.
test-fast: install browser-test-deps
	$(VENV)/bin/python -m pytest -m "not slow and not night" -n 2 --dist loadfile --basetemp=$(TEST_TMP) --durations=10

## mutants: mutation testing (tests/mutation/run.py): mutmut over the Python that judges, withholds and alerts, and
## one-change mutants of the SQL (macros, staging, core, measures); scores in data/mutants/report.json. Hours in
## full; MUTANTS_SAMPLE=40 make mutants runs 40 drawn at random (MUTANTS_SEED to draw others), half of each kind;
## MUTANTS_ONLY=python (or sql) one kind only (a Python mutant takes seconds, a SQL one a night's tests).
MUTANTS_SAMPLE ?=
MUTANTS_SEED ?= 2016
MUTANTS_ONLY ?=
mutants: install browser-test-deps clock-test-deps
	$(VENV)/bin/python -m tests.mutation.run --seed $(MUTANTS_SEED) $(if $(MUTANTS_SAMPLE),--sample $(MUTANTS_SAMPLE)) \
		$(if $(MUTANTS_ONLY),--only $(MUTANTS_ONLY))

## test-slow: the tests too long for CI (the benchmark's smoke test)
test-slow: install browser-test-deps clock-test-deps
	$(VENV)/bin/python -m pytest -m slow

## simulate: a simulated year of nights with every fault kind, checked night by night; writes
## data/simulation/report.json. SIM_NIGHTS=120 SIM_SEED=7 make simulate for another run.
SIM_START ?= 2026-01-01
SIM_NIGHTS ?= 365
SIM_SEED ?= 2016
simulate: install clock-test-deps
	$(VENV)/bin/python -m pipelines.cli simulate --start $(SIM_START) --nights $(SIM_NIGHTS) --seed $(SIM_SEED)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## sample: regenerate the bundled sample landing files (SAMPLE_END_MONTH=YYYY-MM to choose the last month)
sample: install
	$(VENV)/bin/python -m pipelines.cli generate-sample --force $(if $(SAMPLE_END_MONTH),--end-month $(SAMPLE_END_MONTH))

## bench: the speed benchmark (the bundled sample's `make run`; at 100 k, 1 M and 10 M contacts the DuckDB floor, a
## full run, a quiet, a one-source and the heaviest night, each verified against a full rebuild, peak memory);
## not part of `make test`. BENCH_SCALES=100000 for one scale, BENCH_VERIFY= to skip the rebuilds.
## Writes data/bench/speed.json
BENCH_SCALES ?= 100000,1000000,10000000
BENCH_VERIFY ?= --verify
bench: install
	$(VENV)/bin/python bench/speed.py --scales $(BENCH_SCALES) $(BENCH_VERIFY)

## bench-lake: several councils at scale (6 at 1 M contacts each): one after another in single-file mode, then all
## at once into one DuckLake on a local PostgreSQL; wall time, peak memory and lake size per council. Writes
## data/bench/lake.json. LAKE_COUNCILS=2 LAKE_CONTACTS=100000 make bench-lake for a smaller run.
LAKE_COUNCILS ?= 6
LAKE_CONTACTS ?= 1000000
bench-lake: install lake-deps
	$(VENV)/bin/python bench/lake.py --councils $(LAKE_COUNCILS) --contacts $(LAKE_CONTACTS)

## profile: a pyinstrument profile (HTML) of one nightly run on the bundled sample
profile: install
	$(VENV)/bin/python -m pipelines.cli generate-sample
	$(VENV)/bin/pyinstrument -r html -o data/profile.html -m pipelines.cli run --skip-outputs --log-level WARNING
	@echo "Profile: data/profile.html"

## vendor-govuk: re-vendor the GOV.UK Frontend stylesheet from npm (build time only; the result is committed)
vendor-govuk: install
	$(VENV)/bin/python deploy/vendor_govuk_frontend.py

## clean: remove generated data and the local Dagster instance (keeps the environment)
clean:
	rm -rf data/ .dagster/storage .dagster/history .dagster/logs .dagster/schedules
