# The README's commands. Each target creates or reuses the local virtualenv (.venv).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_DIR ?= $(CURDIR)/data/demo
PYTEST_ARGS ?=
# Test processes (pytest-xdist) for the tests that do not touch Neo4j; the Neo4j tests share one database
# and run in one process of their own beside them (tests/conftest.py marks them).
PYTEST_WORKERS ?= 2

CHROMIUM ?= /usr/bin/chromium
# The console is rebuilt only when its sources, its lockfile or the API (its types) changed.
CONSOLE_SRC := $(shell find console/src -type f ! -name openapi.json ! -name schema.d.ts 2>/dev/null) \
	console/index.html console/vite.config.ts console/tsconfig.json console/package.json $(shell find api -name '*.py')
CONSOLE_DEPS := console/node_modules/.ci-stamp
CONSOLE_STAMP := console/dist/.built

.PHONY: venv console chromium demo serve test lint bench neo4j clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,ray]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

$(CONSOLE_DEPS): console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

$(CONSOLE_STAMP): $(STAMP) $(CONSOLE_DEPS) $(CONSOLE_SRC)
	cd console && PYTHON=$(abspath $(PY)) npm run build
	touch $@

## make console: build the web console (served by `fourlinks serve` at /)
console: $(CONSOLE_STAMP)

## make chromium: Debian's Chromium (and a CJK font) for the browser tests; Playwright's own download cannot be reached
chromium:
	@test -x $(CHROMIUM) || (apt-get update && apt-get install -y chromium fonts-wqy-microhei)

## make demo: synthesise the Chizhou preset into the embedded store (no server) and run its yearly round
demo: venv console
	FOURLINKS_STORE=embedded FOURLINKS_DATA_DIR=$(DEMO_DIR) $(VENV)/bin/fourlinks load --preset chizhou --replace
	FOURLINKS_STORE=embedded FOURLINKS_DATA_DIR=$(DEMO_DIR) $(VENV)/bin/fourlinks round --preset chizhou --out out/demo

## make serve: the HTTP API on the embedded store (FOURLINKS_STORE=neo4j to use Neo4j)
serve: venv console
	@export FOURLINKS_DATA_DIR=$${FOURLINKS_DATA_DIR:-$(DEMO_DIR)}; \
	T=$$($(VENV)/bin/fourlinks token --role admin --sub admin); \
	echo "控制台 / console:      http://127.0.0.1:8000/"; \
	echo "管理员登录 / admin sign-in: http://127.0.0.1:8000/#/login?token=$$T"; \
	$(VENV)/bin/fourlinks serve

## make test: ruff, then the whole suite against a real Neo4j that scripts/neo4j_server.py fetches and starts.
## The Neo4j tests (one process: they share the database) run beside the others (two processes);
## their log is printed after, and either half failing fails the target.
test: venv console chromium
	$(VENV)/bin/ruff check .
	@mkdir -p out
	$(PY) scripts/neo4j_server.py run -- sh -c '\
		$(PY) -m pytest -q -m neo4j --durations=10 --basetemp=out/pytest-neo4j $(PYTEST_ARGS) \
			> out/neo4j-tests.log 2>&1 & n=$$!; \
		$(PY) -m pytest -q -m "not neo4j" -n $(PYTEST_WORKERS) --dist loadfile --durations=20 \
			--basetemp=out/pytest-rest $(PYTEST_ARGS); r=$$?; \
		wait $$n; s=$$?; \
		echo "--- the Neo4j tests (out/neo4j-tests.log) ---"; cat out/neo4j-tests.log; \
		test $$r -eq 0 && test $$s -eq 0'

lint: venv
	$(VENV)/bin/ruff check .

## make bench: the figures of docs/BENCHMARKS.md (long; see bench/README.md)
bench: venv
	$(PY) scripts/neo4j_server.py run -- $(PY) bench/run_all.py

neo4j: venv
	$(PY) scripts/neo4j_server.py fetch

clean:
	rm -rf $(VENV) out data .pytest_cache .ruff_cache console/dist console/node_modules
