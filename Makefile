# The two commands of the README: `make demo` and `make test`.  Both create the virtual
# environment and install the project on first use, so a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kintsugi demo $(DIR)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff check --select SLF001 tui
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff check --select SLF001 tui
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# Every picture in screenshots/ (shown in the README), from a fresh demo database.
screenshots: $(STAMP)
	$(BIN)/python screenshots/generate.py

clean:
	rm -rf $(VENV) build *.egg-info
