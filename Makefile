# The README's two commands, and the project's checks; all go through dev.py.
PYTHON ?= python3

.PHONY: run test lint format bench messages

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

# Refresh the one Urdu catalogue in locale/ (every app's code and templates), then compile it.
# Needs gettext (msgfmt) and the database/redis settings that manage.py needs (DATABASE_URL, REDIS_URL).
messages:
	$(PYTHON) dev.py setup && .venv/bin/python manage.py makemessages -l ur --ignore=.venv --ignore=var --ignore=node_modules --ignore="tests/*" --ignore="benchmarks/*" --ignore="test-artifacts/*"
	.venv/bin/python manage.py compilemessages -l ur --ignore=.venv
