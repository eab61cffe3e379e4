# The two commands: `make run` (portal with demo data on SQLite, no server needed) and
# `make test` (the whole suite; installs what it needs, system packages too when root).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
ADDR ?= 127.0.0.1:8000
# System packages the suite needs: a browser for Playwright, fonts with Vietnamese glyphs,
# poppler to turn PDFs into images and check signatures (pdfsig, with an NSS database made by
# libnss3-tools), gettext for catalogs, openssl to verify certificates, SoftHSM2 as the
# PKCS#11 tokens and HSM slot of the demo and the tests, opensc's pkcs11-tool to inspect them,
# pgbouncer for the tests that run the portal behind it.
APT_PACKAGES := chromium fonts-liberation2 poppler-utils libnss3-tools gettext openssl \
	softhsm2 opensc pgbouncer \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b
# What `make run` itself needs: the demo's tokens and the CA's HSM slot are SoftHSM2 tokens (a
# library, no server).
RUN_APT_PACKAGES := softhsm2

.PHONY: mutants run test golden install install-test system-deps run-deps lint format messages clean

# The signing client (clients/signing) is its own package: the demo starts it for the demo
# heads' tokens, the tests drive it as a process.
$(VENV)/.installed: pyproject.toml clients/signing/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e . -e clients/signing
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: system-deps $(VENV)/.installed-test

system-deps: PACKAGES = $(APT_PACKAGES)
run-deps: PACKAGES = $(RUN_APT_PACKAGES)
system-deps run-deps:
	@missing=""; for p in $(PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "Missing system packages:$$missing (install them, or run as root on Debian)"; \
	fi

run: export DEBUG ?= 1
run: export SECRET_KEY ?= insecure-dev-key-change-me
# Certificates name their CRL, OCSP and CA-issuer URLs after the address the portal serves.
run: export SITE_URL ?= http://$(ADDR)
run: run-deps $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	# The demo's system certificate seals a person's PDF copy of their data (docs/privacy.md §5).
	seal="$$($(PY) manage.py system_seal_demo --env)" && eval "$$seal" && \
		$(PY) manage.py runportal $(ADDR)

# The suite runs on TEST_WORKERS processes (pytest-xdist; each its own test database, Redis
# database and var/ directory: tests/parallel.py); TEST_WORKERS=0 runs it in this process.
# worksteal: each process starts on its share of the run (the long tests first, tests/parallel.py)
# and one that runs out takes half of what another has left, so that none waits at the end.
# (`load` hands each process a quarter of the run at once: one process ran every long test
# while the other ran dry, and the run took 1,083 s here against 837 s.)
TEST_WORKERS ?= auto
# pytest loads tests/parallel.py (`-p tests.parallel`) before it reads anything else: the
# checkout must be importable by then.
test golden: export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
test: export SECRET_KEY ?= test-secret-key
test: install-test
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Redraw the golden first pages of the nine documents (tests/golden/*.png) after an intended
# change of layout; look at the new images before committing them.
golden: export SECRET_KEY ?= test-secret-key
golden: export UPDATE_GOLDEN = 1
golden: install-test
	$(VENV)/bin/pytest -k golden tests/requests_app/test_documents.py tests/devices/test_document_pdfs.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l vi -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv
	$(PY) manage.py privacy_docs

clean:
	rm -rf $(VENV) var

# Mutation testing of the rule modules listed in pyproject's [tool.mutmut] (docs/testing.md).
# Not in CI: hours on two cores. A database and a Redis database of its own, so it never meets
# `make test`; one child at a time, as the tests of one database must not run side by side.
MUTANTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_mutants
MUTANTS_REDIS_URL ?= redis://127.0.0.1:6379/9
MUTANTS_CHILDREN ?= 1
# mutmut puts its copy (mutants/) first on the path itself; the project's own directory on
# PYTHONPATH would let the tests import the unmutated code.
mutants: export PYTHONPATH := $(CURDIR)/mutants/clients/signing
mutants: export SECRET_KEY ?= test-secret-key
mutants: export AUDIT_HMAC_KEY ?= mutants-audit-hmac-key-of-at-least-32-characters
mutants: export DATABASE_URL = $(MUTANTS_DATABASE_URL)
mutants: export REDIS_URL = $(MUTANTS_REDIS_URL)
mutants: export PORTAL_REQUIRE_SERVICES = 1
# A mutant runs its function's killers, then its fastest tests up to this many seconds
# (tests/parallel.py); 0 runs them all.
mutants: export MUTANTS_TEST_SECONDS ?= 20
mutants: install-test
	$(PY) -m tests.mutants_db
	rm -rf mutants/tests  # mutmut copies a file only when its copy is missing: take today's tests
	$(VENV)/bin/mutmut run --max-children $(MUTANTS_CHILDREN) $(MUTANTS) || true
	$(VENV)/bin/python -m tests.mutants_killers
	$(VENV)/bin/python -m tests.mutants_report
