# The two commands a newcomer needs:
#   make run    set everything up and start Sideline on the embedded default (SQLite, local files)
#   make test   install what the tests need (PostgreSQL, Redis, Chromium, ...) and run the whole suite
.PHONY: run setup web test test-fast openapi bench clean

VENV ?= .venv
PY := $(VENV)/bin/python
SIDELINE := $(VENV)/bin/sideline

run: setup web
	$(SIDELINE) demo
	$(SIDELINE) serve

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-nodeps.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,otel]'
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	touch $@

web: setup
	@if command -v npm >/dev/null; then \
		cd web && (test -d node_modules || npm ci --no-audit --no-fund) && npm run build; \
	else echo "npm not found: the API runs without the web app (install Node 20 to build it)"; fi

openapi: setup
	$(SIDELINE) openapi > web/openapi.json
	cd web && npm run gen:api

test:
	bash scripts/test.sh

test-fast: setup
	$(PY) -m pytest -q -m "not browser and not slow"

bench: setup
	bash benchmarks/run_all.sh

clean:
	rm -rf $(VENV) web/node_modules src/sideline/api/static var
