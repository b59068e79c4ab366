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

.PHONY: install run dev test lint sample clean

$(UV):
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	touch $@

install: $(VENV)/.synced

## run: install, generate the bundled sample (first time only), run the nightly job, print a summary
run: install
	$(VENV)/bin/python -m pipelines.cli run --sample

## dev: the Dagster UI (and daemon) on the project-local instance in .dagster/
dev: install
	$(VENV)/bin/dagster dev -w workspace.yaml

## test: the test suite
test: install
	$(VENV)/bin/python -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## sample: regenerate the bundled sample landing files (SAMPLE_END_MONTH=YYYY-MM to choose the last month)
sample: install
	$(VENV)/bin/python -m pipelines.cli generate-sample --force $(if $(SAMPLE_END_MONTH),--end-month $(SAMPLE_END_MONTH))

## clean: remove generated data and the local Dagster instance (keeps the environment)
clean:
	rm -rf data/ .dagster/storage .dagster/history .dagster/logs .dagster/schedules
