# The README's two commands, and the project's checks; all go through dev.py.
PYTHON ?= python3

.PHONY: run test lint format bench messages frontend bootstrap chart icons fonts

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

# The front end's vendored files, from the npm packages pinned in package.json/package-lock.json
# (node and npm needed at build time only; the outputs are committed under static/).
node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules

frontend: bootstrap chart icons fonts

# Bootstrap's CSS (LTR and RTL) and JavaScript with only what the templates use: frontend/.
# Run again after a template starts using a Bootstrap class or plugin it did not use before.
bootstrap: node_modules
	node frontend/build_bootstrap.mjs

# Chart.js with only the line and bar charts the report pages draw: frontend/chart.js.
# Served only to pages that include templates/evidence/_chart_assets.html.
chart: node_modules
	node frontend/build_chart.mjs

# static/img/icons.svg: the bootstrap-icons SVGs that templates name with {% icon "name" %}.
icons: node_modules
	.venv/bin/python frontend/build_icons.py

# Noto Nastaliq Urdu (regular only), cut down with fontTools' pyftsubset (requirements.txt) to
# the characters of Urdu, Arabic, Persian, Punjabi and Saraiki catalogue text: their letters,
# vowel marks, Arabic-Indic and Urdu digits, Arabic punctuation, joiners and direction marks,
# and the ﷲ ﷺ ﴾﴿ signs. Every OpenType feature stays: Nastaliq's shaping is most of the font.
NASTALIQ_UNICODES = U+060C,U+061B,U+061F,U+0621-063A,U+0640-0655,U+0660-066D,U+0670-0671,U+0679,U+067B,U+067E,U+0684,U+0686,U+0688,U+0691,U+0698,U+06A9,U+06AF,U+06B3,U+06BA,U+06BB,U+06BE,U+06C0-06C3,U+06CC,U+06D2-06D4,U+06F0-06F9,U+0759,U+0768,U+200C-200F,U+FD3E-FD3F,U+FDF2,U+FDFA
fonts: node_modules
	.venv/bin/pyftsubset node_modules/@fontsource/noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic-400-normal.woff2 \
	  --unicodes="$(NASTALIQ_UNICODES)" --layout-features='*' --flavor=woff2 \
	  --output-file=static/fonts/noto-nastaliq-urdu-400.woff2
