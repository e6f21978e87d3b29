# hirelens — every target installs what it needs into .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT=$(CURDIR)/.cache/jsii
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_HOME=$(CURDIR)/.cache/cdk

.PHONY: install run test lint bench synth clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip >/dev/null
	@$(BIN)/pip install -q -e '.[local,dev,infra]'
	@touch $(STAMP)

run: install
	$(BIN)/hirelens serve --host 127.0.0.1 --port 8000 --demo

# Two runs: the end-to-end tests share one embedded stack (a moto server in this process), which
# in-process mock_aws tests would reset underneath it.
test: install
	$(BIN)/python -m pytest -p no:cacheprovider tests/e2e
	$(BIN)/python -m pytest -p no:cacheprovider tests --ignore=tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared functions embedded infra

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

synth: install
	cd infra && ../$(BIN)/python app.py

clean:
	rm -rf $(VENV) .cache cdk.out .hirelens
