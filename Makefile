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

# Regenerate the Urdu catalogue (django.po) and compile django.mo; translations live in
# locale/ur_translations.py. makemessages needs no database: dummy URLs keep the
# embedded servers from starting.
messages:
	$(PYTHON) dev.py setup
	DATABASE_URL=postgres://unused@127.0.0.1:9/unused REDIS_URL=redis://127.0.0.1:9/0 \
	  .venv/bin/python manage.py makemessages -l ur --no-obsolete --ignore=.venv --ignore=var \
	  --ignore=tests --ignore=test-artifacts --ignore=node_modules
	.venv/bin/python locale/ur_translations.py locale/ur/LC_MESSAGES/django.po
