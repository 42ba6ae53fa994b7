# Two commands: `make run` (the app, a worker and beat) and `make test` (lint + every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv migrate demo lint check-deploy deploy-check audit loadtest stress screenshots clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

# scripts/run_dev.py starts the Procfile with honcho: HOST, PORT and SITE_URL resolved once (the
# environment, then .env, then 127.0.0.1:8000; SITE_URL is the address served unless set), so every
# e-mail link and the calendar feed name the port the server listens on; Ctrl-C stops the worker warm.
run: demo
	@echo ""
	@echo "  Demo sign-ins (password for all: $$($(BIN)/python manage.py seed_demo --print-password))"
	@$(BIN)/python manage.py seed_demo --print-sign-ins
	@echo "  E-mails (reminders, alerts) are printed below by the worker."
	@echo ""
	$(BIN)/python scripts/run_dev.py -f Procfile

# ruff, then the import contracts in pyproject.toml ([tool.importlinter]: the layers, the pure
# modules, no cycles in doses). --no-cache: the graph builds in about a second, and no cache
# directory is left in the work tree.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo

test: lint
	$(BIN)/python -m pytest

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=companion.settings_production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	ALLOWED_HOSTS=companion.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

# The README's production deploy for real (scripts/deploy_check.py): a throw-away database,
# collectstatic and gunicorn with the production settings on 127.0.0.1, a signed-in page and
# the static files it links fetched over HTTP.
deploy-check: $(STAMP)
	$(BIN)/python scripts/deploy_check.py

# pip-audit over requirements.txt; says SKIPPED (and exits 0) when the vulnerability service is unreachable.
audit: $(STAMP)
	$(BIN)/python scripts/audit_requirements.py

# Load test (scripts/loadtest.py): locust lives in its own venv so its pytest plugin and gevent stay out of the app's.
LOAD_VENV := .venv-load
$(LOAD_VENV)/.installed: requirements-load.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --quiet -r requirements-load.txt
	touch $(LOAD_VENV)/.installed

loadtest: $(STAMP) $(LOAD_VENV)/.installed
	$(BIN)/python scripts/loadtest.py --locust $(LOAD_VENV)/bin/locust

# Races are probabilistic: run every PostgreSQL concurrency test 100 times in a row (issue 8).
STRESS_ROUNDS ?= 100
stress: $(STAMP)
	CONCURRENCY_REPEAT=$(STRESS_ROUNDS) $(BIN)/python -m pytest -m concurrency -q

# The README's phone screenshots (docs/screenshots/): the demo circle at 390x844 in Debian's Chromium.
screenshots: $(STAMP)
	README_SCREENSHOTS=1 REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/browser/test_phone_screens.py -q

clean:
	rm -rf $(VENV) $(LOAD_VENV) var .pytest_cache
