# Two entry points (see README): `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run up test test-fast lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# ARGS: more options, e.g. make run ARGS="--port 4567 --api-port 3001 --console-port 8081 --verbose"
run: $(STAMP)
	$(BIN)/etl run sample_data/data.csv --up $(ARGS)

up: $(STAMP)
	$(BIN)/etl up $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/pytest -n 2 -q

# lint, types + the tests of tasks/ (and the sample generator) and the engine: under a minute, for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q tests/tasks tests/sample_data tests/engine

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) cdk.out .pytest_cache
