# The README's two commands, and the project's checks; all go through dev.py.
PYTHON ?= python3

.PHONY: run test lint format bench

run:
	$(PYTHON) dev.py run

test:
	$(PYTHON) dev.py test $(PYTEST_ARGS)

lint:
	$(PYTHON) dev.py setup && .venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	$(PYTHON) dev.py setup && .venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench:
	$(PYTHON) dev.py setup && .venv/bin/python benchmarks/run_all.py
