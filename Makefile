# Spantune developer commands. `make run` and `make test` do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
# PyTorch is pinned so pip takes the CPU build (see README: "CPU or GPU").
TORCH ?= torch==2.13.0
PIP_EXTRA ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.spantune-installed

.PHONY: setup run test test-fast lint bench screenshots clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_EXTRA) "$(TORCH)"
	$(BIN)/python -m pip install --quiet $(PIP_EXTRA) -e ".[dev,plot]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/spantune app --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check engine desktop tests
	$(BIN)/ruff format --check engine desktop tests
	$(BIN)/mypy

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
