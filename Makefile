# The README's commands. Everything installs into .venv from pyproject.toml + requirements.lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test fuzz lint typecheck format bench bench-peers bench-tools clean lock browser vendor

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

## make run: serve on http://127.0.0.1:8000 (SQLite by default), migrating first
run: $(STAMP)
	$(BIN)/kaira serve

## make test: lint, type-check, then the whole suite with branch coverage (TEST_DATABASE_URL picks the database)
# Two worker processes (TEST_WORKERS=0: none, all in this one). Each file's tests run together and in
# order in one of them, so a file's shared server and browser start once, as in a single process.
TEST_WORKERS ?= 2
test: lint browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-branch --cov-fail-under=90 $(PYTEST_ARGS)

## make fuzz: kaira serve on a fresh database, fuzzed by schemathesis (FUZZ_DATABASE_URL picks a PostgreSQL server)
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run $(FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The load generator comes from Debian (as root, the way these machines run; elsewhere install wrk yourself).
bench-tools:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

## make bench: load benchmark of Kaira on PostgreSQL (BENCH_DATABASE_URL); BENCH_ARGS=--database sqlite: SQLite beside PostgreSQL
bench: $(STAMP) bench-tools
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make bench-peers: the same read workloads against the tutorial and the raw-asyncpg ceiling
bench-peers: $(STAMP) bench-tools
	$(BIN)/python -m bench.peers $(BENCH_ARGS)

## make lock: re-pin requirements.lock after changing pyproject.toml
lock:
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

## make browser: Debian's chromium (and a Korean font) for the web page's tests; installs only what is missing
BROWSER_PACKAGES := chromium fonts-nanum
browser:
	@dpkg-query -W -f='$${Status}\n' $(BROWSER_PACKAGES) 2>/dev/null | grep -c "ok installed" | grep -qx 2 \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); }

## make vendor: the web page's third-party modules, as pinned in static/vendor/package-lock.json, copied as files
VENDOR := src/kaira/static/vendor
vendor:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	  && cp $(VENDOR)/package.json $(VENDOR)/package-lock.json "$$tmp"/ \
	  && (cd "$$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
	  && cp "$$tmp"/node_modules/marked/lib/marked.esm.js $(VENDOR)/marked.esm.js \
	  && cp "$$tmp"/node_modules/marked/LICENSE $(VENDOR)/marked.LICENSE \
	  && cp "$$tmp"/node_modules/dompurify/dist/purify.es.mjs $(VENDOR)/purify.es.js \
	  && cp "$$tmp"/node_modules/dompurify/LICENSE $(VENDOR)/dompurify.LICENSE \
	  && echo "vendored: $$(cd $(VENDOR) && ls *.js | tr '\n' ' ')"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
