# The two commands of the README. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,manifests]'
	touch $(STAMP)

## make run: set up, then the main job on the bundled example repository:
## check every file (and the rendered manifests), show the calendar and whether
## a change may run now, and render the manifests to build/manifests.
run: $(STAMP)
	$(BIN)/rdm validate --manifests
	$(BIN)/rdm calendar --weeks 4
	@# exit 1 means "closed right now": information here, not a failure
	@echo "$(BIN)/rdm window"; $(BIN)/rdm window; code=$$?; \
	if [ $$code -eq 0 ]; then echo "(exit 0: the window is open, a normal change may run now)"; \
	elif [ $$code -eq 1 ]; then echo "(exit 1: the window is closed, no normal change may run now; only emergencies may)"; \
	else exit $$code; fi
	$(BIN)/rdm render --out build/manifests

## make test: set up and run the whole suite (lint and types included)
test: $(STAMP)
	$(BIN)/ruff check tools tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tools tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
