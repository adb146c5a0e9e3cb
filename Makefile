# RoboDeck: `make run` opens the app on its simulated robot; `make test` runs
# every check. Both bootstrap a local virtual environment in .venv first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench screenshot firmware-test package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m ui $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check app ui tests bench packaging

typecheck: $(STAMP)
	$(PY) -m mypy app

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

firmware-test:
	$(MAKE) -C firmware test avr size

test: lint typecheck firmware-test pytest

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ui --screenshot resources/screenshot.png

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
