# Regflow: `make demo` to try it, `make test` to check it. Needs Python 3.11+ and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

# Settings for the embedded demo (SQLite, in-memory channel layer).
DEMO_ENV := DEBUG=true
# The suite runs with production-like settings, minus the HTTPS redirect that
# the test client cannot follow. DATABASE_URL and REDIS_URL pass through.
TEST_ENV := DEBUG=false SECRET_KEY=test-only-not-secret SECURE_SSL_REDIRECT=false

.PHONY: demo demo-reset test fuzz lint format messages clean mutate bench

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	@touch $@

demo: $(VENV)/.installed
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "Regflow is at http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@$(DEMO_ENV) PORT=$(PORT) $(PY) manage.py serve_demo

# Start the demo afresh: deletes the embedded SQLite database and the uploaded scans (no question asked),
# then runs `make demo`. Refuses when DATABASE_URL or UPLOADS_DIR point elsewhere: it never drops a real database.
demo-reset:
	@if [ -n "$$DATABASE_URL" ] || [ -n "$$UPLOADS_DIR" ]; then \
		echo "demo-reset deletes only the embedded demo (db.sqlite3, var/uploads): unset DATABASE_URL and UPLOADS_DIR"; \
		exit 1; \
	fi
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
	rm -rf var/uploads
	@echo "Demo database and scans deleted; seeding afresh."
	$(MAKE) demo

test: $(VENV)/.installed-test
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The deep fuzz, outside CI: tests/fuzz with FUZZ_EXAMPLES drawn examples for every form, the admin's
# included (CI draws 100 per form of ours and 25 per admin form). It needs PostgreSQL (DATABASE_URL).
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.installed-test
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
		*) echo "make fuzz runs on PostgreSQL: set DATABASE_URL=postgres://..."; exit 1;; esac
	$(TEST_ENV) REGFLOW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) REGFLOW_FUZZ_ADMIN_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(PY) -m pytest tests/fuzz -s $(PYTEST_ARGS)

# Mutation testing (mutmut) of the modules that carry the guarantees: long, run outside CI. Writes
# docs/mutation-report.md; docs/mutation.md explains the survivors. MUTATE_ARGS picks targets, e.g. "fields chain".
mutate: $(VENV)/.installed-test
	$(TEST_ENV) $(PY) .ci/mutate.py $(MUTATE_ARGS)

# Province-scale benchmark (docs/performance.md): generates the data set into a throwaway PostgreSQL
# database (BENCH_DATABASE_URL, default regflow_bench: dropped and recreated), then drives one daphne with
# production settings on loopback at 1 and 10 users and rewrites the table in docs/performance.md.
# BENCH_SCALE=1.0 (default) is 250k cases and ~1M tasks; BENCH_SCALE=0.02 runs in a few minutes.
bench: $(VENV)/.installed
	$(PY) benchmarks/generate.py
	$(PY) benchmarks/load.py
	$(PY) benchmarks/password_hash.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEMO_ENV) $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache  # the layers: pyproject.toml [tool.importlinter]
	$(PY) .ci/check_private_imports.py
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEMO_ENV) $(PY) manage.py check --fail-level WARNING
	$(PY) .ci/check_catalogues.py

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(VENV)/.installed-test
	$(DEMO_ENV) $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=var
	$(DEMO_ENV) $(PY) manage.py makemessages -d djangojs -l zh_Hans --no-obsolete --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=var
	$(PY) locale/viewflow/update_catalogues.py  # viewflow's own strings, from the installed viewflow
	$(PY) locale/thirdparty/update_thirdparty_catalogues.py  # the admin's and django-axes' strings that ship untranslated
	$(PY) .ci/check_catalogues.py --compile

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
