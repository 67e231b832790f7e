# The README's commands. Each target creates or reuses the local virtualenv (.venv).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_DIR ?= $(CURDIR)/data/demo
PYTEST_ARGS ?=

.PHONY: venv demo serve test lint bench neo4j clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## make demo: synthesise the Chizhou preset into the embedded store (no server) and run its yearly round
demo: venv
	FOURLINKS_STORE=embedded FOURLINKS_DATA_DIR=$(DEMO_DIR) $(VENV)/bin/fourlinks load --preset chizhou --replace
	FOURLINKS_STORE=embedded FOURLINKS_DATA_DIR=$(DEMO_DIR) $(VENV)/bin/fourlinks round --preset chizhou --out out/demo

## make serve: the HTTP API on the embedded store (FOURLINKS_STORE=neo4j to use Neo4j)
serve: venv
	FOURLINKS_DATA_DIR=$${FOURLINKS_DATA_DIR:-$(DEMO_DIR)} $(VENV)/bin/fourlinks serve

## make test: ruff, then the whole suite against a real Neo4j that scripts/neo4j_server.py fetches and starts
test: venv
	$(VENV)/bin/ruff check .
	$(PY) scripts/neo4j_server.py run -- $(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

## make bench: the figures of docs/BENCHMARKS.md (long; see bench/README.md)
bench: venv
	$(PY) scripts/neo4j_server.py run -- $(PY) bench/run_all.py

neo4j: venv
	$(PY) scripts/neo4j_server.py fetch

clean:
	rm -rf $(VENV) out data .pytest_cache .ruff_cache
