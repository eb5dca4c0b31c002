# make site: build site/   make test: every test   make check: validate content only   make help: every target
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site check test lint format golden clean new schemas serve help

# make site BASE_URL=https://example.org/sub/ builds for another address (CI passes GitHub Pages').
site: $(STAMP) ## build site/ (BASE_URL=... for another address)
	$(PY) build.py build $(if $(BASE_URL),--base-url "$(BASE_URL)")

# Preview on http://127.0.0.1:8000/ with live reload; rebuilds what each edit affects (HOST=, PORT= to change).
serve: $(STAMP) ## preview on http://127.0.0.1:8000/ with live reload (HOST=, PORT=)
	$(PY) build.py serve --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

# make check FORMAT=github prints problems as GitHub annotations (CI uses it on pull requests).
check: $(STAMP) ## validate content only; writes nothing (FORMAT=github for annotations)
	$(PY) build.py check $(if $(FORMAT),--format $(FORMAT))

# Start a new incident file from templates/new-incident.md; asks for what is missing.
# make new DATE=2024-11-07 CITY=Independence TITLE="Officer fires at man in parking lot"
new: $(STAMP) ## start a new incident file (asks, or DATE=... CITY=... TITLE=...)
	$(PY) build.py new $(if $(DATE),--date "$(DATE)") $(if $(CITY),--city "$(CITY)") $(if $(TITLE),--title "$(TITLE)")

# Regenerate schemas/*.schema.json (the JSON Schemas for editors) from the content model (kcrecord/content/schema.py,
# incident_schema.py) and site.yaml.
schemas: $(STAMP) ## regenerate schemas/ after changing the content model (kcrecord/content/schema.py, incident_schema.py) or a vocabulary
	$(PY) -m kcrecord.content.json_schema

test: $(STAMP) ## lint, check formatting and run every test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q

lint: $(STAMP) ## lint with ruff
	$(PY) -m ruff check .

format: $(STAMP) ## format and fix lint with ruff
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Regenerate the golden site on purpose after an intended change to the output.
golden: $(STAMP) ## regenerate tests/golden/ after an intended change to the output
	$(PY) -m tests.golden

$(STAMP): requirements.txt requirements-test.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	$(PY) tools/install_pagefind.py $(VENV)/bin/pagefind
	touch $(STAMP)

clean: ## delete site/, .venv/ and .cache/
	rm -rf site .venv .cache

# List the targets with what each does: the text after ## on each target's line.
help: ## list these targets, one line each
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "make %-8s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))
