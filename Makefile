# Two entry points a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup setup-spark demo test lint fmt bench ui daemon clean lock

# --compile-bytecode: every process starts from compiled modules, also where
# PYTHONDONTWRITEBYTECODE is set or the venv is read-only. Without them a dbt start took
# 4.1 s instead of 2.2 s, and a Dagster run's code load 8-9 s instead of 4.
$(BIN)/achilles: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

setup: $(BIN)/achilles ## create .venv with the locked dependency set

# The optional Spark engine (achilles[spark], ~630 MB; needs Java 17): `make test` then
# runs the Spark tests too.
setup-spark: setup ## add pyspark and dbt-spark to .venv (ACHILLES_ENGINE=spark_session)
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements-spark.lock

demo: setup ## the main job, end to end on bundled sample data
	$(BIN)/achilles demo

# --durations: the suite's slowest tests at the end, where its time goes (CI reads it).
test: setup ## the whole test suite (unit, API, dbt, Dagster, end to end)
	$(BIN)/python -m pytest --durations=25

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## benchmarks at 1 M events; `achilles bench --events N` for other scales
	$(BIN)/achilles bench

ui: setup
	$(BIN)/achilles ui

daemon: setup ## schedule and sensor without the UI: build when new events land
	$(BIN)/achilles daemon

lock: ## re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark -c requirements.lock \
		--python-version 3.11 -o requirements-spark.lock

clean:
	rm -rf $(VENV) data/landing data/warehouse data/dagster_home dbt_project/target dbt_project/logs
