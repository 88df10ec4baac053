# Two commands do everything: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint format lock bench loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the lock file changes.
$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "LVM is at http://127.0.0.1:$(PORT)/  (stop with Ctrl+C)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# django-upgrade rewrites code written for older Django; on a clean tree it changes nothing.
DJANGO_TARGET := 5.2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z --cached --others --exclude-standard '*.py' \
		| xargs -0 $(BIN)/django-upgrade --target-version $(DJANGO_TARGET)

format: $(STAMP)
	-git ls-files -z --cached --others --exclude-standard '*.py' \
		| xargs -0 $(BIN)/django-upgrade --target-version $(DJANGO_TARGET)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the lock file after changing dependencies in pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

# Dashboard benchmark on the database of DATABASE_URL (its name must contain "bench").
bench: $(STAMP)
	$(BIN)/python -m perf.bench

# Loopback-only load and fault test on PostgreSQL, driven by Locust (stops PostgreSQL for a
# few seconds); see perf/README.md.
loadtest: $(STAMP)
	$(BIN)/python -m perf.loadtest --markdown

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
