# make serve / make test / make bench — each creates .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
ARGS ?=

.PHONY: serve test lint test-sqlite test-postgres bench clean

$(BIN)/strongroom: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

serve: $(BIN)/strongroom
	$(BIN)/strongroom serve --dev $(ARGS)

lint: $(BIN)/strongroom
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test-sqlite: $(BIN)/strongroom
	$(BIN)/pytest -q -m "not slow"

# The whole suite again with every server on its own PostgreSQL database; skipped (with the
# reason) when no PostgreSQL answers at $(PG_URL).
test-postgres: $(BIN)/strongroom
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		STRONGROOM_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m "not slow"; \
	else \
		echo "SKIPPED the PostgreSQL pass: no PostgreSQL answers at $(PG_URL)"; \
	fi

test: lint test-sqlite

bench: $(BIN)/strongroom
	$(BIN)/python bench/gateway.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
