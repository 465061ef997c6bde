# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN = $(VENV)/bin

.PHONY: run stack test lint bench clean translations translations-update

# The interface catalogs (docs/translating.md): compiled from the .po files by the install
# step, never committed.
CATALOGS = $(wildcard cocourse/*/translations/*/LC_MESSAGES/messages.po)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -qq -e .
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/python -m cocourse.devtools.translations compile

## Build the compiled catalogs of the interface translations.
translations: $(CATALOGS:.po=.mo)

## After marking or changing messages: bring the catalogs up to date (new ones empty,
## changed ones fuzzy), for PACKAGE=cocourse/<feature> or every package with catalogs.
translations-update: $(VENV)/.installed
	$(BIN)/python -m cocourse.devtools.translations update $(PACKAGE)

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -qq -e '.[test]'
	touch $@ $(VENV)/.installed

EXAMPLES = $(wildcard examples/cocourse-*)

# The example plugins, installed like any third-party plugin (found through entry points).
$(VENV)/.installed-examples: $(VENV)/.installed-test $(shell find $(EXAMPLES) -name '*.py' -o -name '*.toml' -o -name '*.html' -o -name '*.css' 2>/dev/null)
	$(BIN)/pip install -qq $(addprefix ./,$(EXAMPLES))
	touch $@

# axe-core, which tests/browser/test_accessibility.py loads into Chromium; package.json pins
# it. Like the venv stamps, the file's date says when the lock file was last installed.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## Serve the bundled course on http://127.0.0.1:$(PORT) from the embedded SQLite database,
## with the worker that delivers email (to instance/outbox/ unless SMTP is configured).
run: $(VENV)/.installed translations
	$(BIN)/cocourse db upgrade
	$(BIN)/cocourse worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	COCOURSE_CONTENT_WATCH=1 $(BIN)/cocourse run --host 127.0.0.1 --port $(PORT)

## Start a scaled-out stack on loopback (PostgreSQL, Redis, nginx with TLS, two app instances
## and a worker) serving the bundled course, until Ctrl-C; see deploy/ and docs/operations.md.
stack: $(VENV)/.installed translations
	$(BIN)/python deploy/stack.py

## Lint the code and run the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set),
## then the example plugins' own tests.
test: $(VENV)/.installed-examples node_modules/axe-core/axe.min.js translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cocourse lint content/modules
	$(BIN)/pytest
	for example in $(EXAMPLES); do $(BIN)/pytest -q -p no:cacheprovider $$example/tests || exit 1; done

## Check the bundled course.
lint: $(VENV)/.installed
	$(BIN)/cocourse lint content/modules

## Measure throughput and startup (see docs/benchmarks.md); the product as shipped, without the
## example plugins that make test installs.
bench: $(VENV)/.installed-test
	COCOURSE_DISABLED_PLUGINS=webhook,likert $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache test-artifacts
