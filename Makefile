# RoboDeck: `make run` opens the app on its simulated robot; `make test` runs
# every check. Both bootstrap a local virtual environment in .venv first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench screenshot firmware-test package smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

PKG_STAMP := $(VENV)/.installed-package
$(PKG_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,package]'
	touch $(PKG_STAMP)

run: $(STAMP)
	$(PY) -m ui $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check app ui tests bench packaging

typecheck: $(STAMP)
	$(PY) -m mypy app

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

# `size` fails when the robot adds more than its budget over the bare
# baseline on an Uno (5.5 KB flash, 512 B RAM; firmware/Makefile).
firmware-test:
	$(MAKE) -C firmware test avr
	$(MAKE) -C firmware size
	$(MAKE) -C firmware avr-timing avr-motor-check

test: lint typecheck firmware-test smoke pytest

package: $(PKG_STAMP)
	$(PY) packaging/freeze.py --all --archive

smoke: $(PKG_STAMP)
	$(PY) packaging/smoke_test.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench
	$(PY) -m bench.load
	$(PY) -m bench.cluster
	$(PY) bench/firmware_bench.py

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ui --screenshot resources/screenshot.png

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
