# Two commands: `make run` (the app, a worker and beat) and `make test` (lint + every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate demo lint check-deploy audit clean

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

run: demo
	@echo ""
	@echo "  Anakinra companion: http://$(HOST):$(PORT)/"
	@echo "  Demo sign-ins (password for all: $$($(BIN)/python manage.py seed_demo --print-password))"
	@$(BIN)/python manage.py seed_demo --print-sign-ins
	@echo "  E-mails (reminders, alerts) are printed below by the worker."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=companion.settings_production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	ALLOWED_HOSTS=companion.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var .pytest_cache
