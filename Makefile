# The two commands: `make run` serves the demo catalogue on SQLite, `make test` runs the whole suite.
# Both do all their own set-up on a fresh machine.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests talk to the real PostgreSQL on this machine unless DATABASE_URL says otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/observatory
TEST_DATABASE_URL := $(or $(DATABASE_URL),$(TEST_DATABASE_URL))

# The first Python 3.12 or 3.13 found: on PATH, or under pyenv (which .python-version picks).
PYTHON ?= $(shell for c in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 python3; do \
	p=$$(command -v $$c 2>/dev/null) || continue; \
	$$p -c 'import sys; sys.exit(not ((3, 12) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test test-fast lint format venv clean browser-deps node-deps audit translations messages gettext-tools scale-deps pdf-deps pgbouncer replica ensemble

$(VENV)/.python-ok:
	@if [ -z "$(PYTHON)" ]; then echo "No Python 3.12 or 3.13 found: install one (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12 ...'."; exit 1; fi
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	@touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

node-deps: node_modules/.installed

# Browser tests drive Debian's Chromium (a Playwright browser download does not work here), with fonts for
# Chinese, Japanese, Korean (WenQuanYi Micro Hei) and Thai (Garuda): the pages in those languages are
# checked for missing glyphs (tests/browser/test_languages_browser.py).
BROWSER_PACKAGES := chromium fonts-wqy-microhei fonts-tlwg-garuda-ttf
browser-deps:
	@missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
		else echo "Browser tests need Debian's $$missing: run 'sudo apt-get install $$missing'."; exit 1; fi; fi

# A case's PDF (cases/site/pdf.py) is laid out by WeasyPrint through Pango, with the system's fonts: DejaVu
# for Latin scripts, Garuda for Thai, WenQuanYi Micro Hei for Chinese, Japanese and Korean (no tofu in a
# Thai or Japanese case: tests/cases/site/test_case_pdf.py). docs/deployment.md lists them for servers.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core fonts-tlwg-garuda-ttf fonts-wqy-microhei
pdf-deps:
	@missing=$$(for p in $(PDF_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
		else echo "PDFs of cases need Debian's $$missing: run 'sudo apt-get install $$missing'."; exit 1; fi; fi

# The interface's translations (cases/locale/<language>/LC_MESSAGES/*.po, docs/translating.md), compiled to
# the .mo files Django reads. msgfmt --check refuses a translation whose placeholders differ from the English.
MESSAGE_CATALOGUES := $(patsubst %.po,%.mo,$(wildcard cases/locale/*/LC_MESSAGES/*.po))

gettext-tools:
	@command -v msgfmt >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
		else echo "Translations need GNU gettext: run 'sudo apt-get install gettext'."; exit 1; fi; }

%.mo: %.po | gettext-tools
	msgfmt --check -o $@ $<

translations: $(MESSAGE_CATALOGUES)

# After changing an interface string: adds it to every language's catalogue, for the translators.
MAKEMESSAGES_IGNORE := -i ".venv/*" -i "node_modules/*" -i "bench/*" -i "tests/*" -i "staticfiles/*" -i "docs/*"
messages: venv gettext-tools
	$(PY) manage.py makemessages --all --no-obsolete $(MAKEMESSAGES_IGNORE)
	$(PY) manage.py makemessages --all --no-obsolete -d djangojs $(MAKEMESSAGES_IGNORE)

# `PORT=8100 make run` (or `make run PORT=8100`, and HOST likewise) serves on another address: the admin's
# address printed and the links in the e-mails it prints (SITE_URL, unless set) name the one served.
run: venv node-deps pdf-deps translations
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py write_open_data --force
	@$(PY) manage.py ensure_demo_admin --address $(HOST):$(PORT)
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

# The scale-out parts the tests drive as real processes (docs/deployment.md): PgBouncer, from Debian.
SCALE_PACKAGES := pgbouncer
scale-deps:
	@missing=$$(for p in $(SCALE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
		else echo "The scale-out tests need Debian's $$missing: run 'sudo apt-get install $$missing'."; exit 1; fi; fi

# PgBouncer in transaction mode on 127.0.0.1:6432 in front of the local PostgreSQL, in the foreground
# (observatory/pgbouncer.py; app servers then use DATABASE_TRANSACTION_POOLING=1).
pgbouncer: venv scale-deps
	$(PY) -m observatory.pgbouncer --port 6432

# A PostgreSQL primary and a streaming replica of it (pg_basebackup), on free ports, in the foreground until
# Ctrl-C, then deleted (tests/observatory/replication.py); prints the DATABASE_URL and DATABASE_REPLICA_URLS
# to try the read replicas with (docs/deployment.md, "Read replicas").
replica: venv
	$(PY) -m tests.observatory.replication $(or $(REPLICA_DATABASE),observatory)

# The deployment on this machine (observatory/ensemble.py): ENSEMBLE_PROCESSES app processes on port 8000
# (SO_REUSEPORT), PgBouncer, the task worker; DATABASE_URL (PostgreSQL) and REDIS_URL from the environment.
ENSEMBLE_PROCESSES ?= 2
ensemble: venv node-deps translations scale-deps
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make ensemble: set DATABASE_URL to PostgreSQL (postgres://...)"; exit 1;; esac
	@[ -n "$$REDIS_URL" ] || { echo "make ensemble: set REDIS_URL (redis://...)"; exit 1; }
	$(PY) manage.py migrate --no-input
	$(PY) -m observatory.ensemble --processes $(ENSEMBLE_PROCESSES) --pgbouncer --port 8000

# The whole suite on PostgreSQL, then everything but the browser on SQLite (the embedded default), where the
# search is FTS5 (cases/search/sqlite.py) and the same behaviour tests run.
test: venv node-deps browser-deps scale-deps pdf-deps translations
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -n 2 $(PYTEST_ARGS)
	DATABASE_URL=sqlite:///:memory: $(PY) -m pytest -n 2 -m "not browser" -q $(PYTEST_ARGS)

# The suite without the browser, on SQLite: proves the embedded default still works.
test-sqlite: venv node-deps pdf-deps translations
	DATABASE_URL=sqlite:///:memory: $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# ruff, then the import layering (pyproject.toml, [tool.importlinter]): faces on top, the models at the bottom.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# pip-audit over the exact versions installed in .venv (the lock): fails on any known vulnerability, and on a
# dependency the advisory service does not know. Only when the service cannot be reached at all (every
# look-up failed, as on a machine without a route to it) does it print a loud warning and pass, so that an
# offline CI still runs the tests; the warning says the audit did not happen.
audit: venv
	@$(PY) -m pip freeze --exclude-editable --exclude observatory > $(VENV)/audit-requirements.txt
	@if $(VENV)/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		-r $(VENV)/audit-requirements.txt; then exit 0; fi; \
	rm -f $(VENV)/audit-report.json; \
	$(VENV)/bin/pip-audit --no-deps --disable-pip --progress-spinner off -r $(VENV)/audit-requirements.txt \
		-f json -o $(VENV)/audit-report.json >/dev/null 2>&1; \
	$(PY) -c 'import json, pathlib, sys; \
	report = pathlib.Path(sys.argv[1]); \
	deps = json.loads(report.read_text())["dependencies"] if report.exists() else []; \
	vulnerable = [d["name"] for d in deps if d.get("vulns")]; \
	unreachable = not deps or all("skip_reason" in d for d in deps); \
	print("pip-audit: vulnerable: " + ", ".join(vulnerable)) if vulnerable else None; \
	print("\n" + "!" * 78 + "\nWARNING: pip-audit could not reach the vulnerability service: NO AUDIT WAS DONE.\n" \
	      "Run make audit where PyPI'"'"'s JSON API (or OSV) is reachable.\n" + "!" * 78 + "\n") \
	      if unreachable and not vulnerable else None; \
	sys.exit(0 if unreachable and not vulnerable else 1)' $(VENV)/audit-report.json

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles
