# make site: build site/   make test: every test   make check: validate content only
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site check test lint format golden clean new schemas serve

# make site BASE_URL=https://example.org/sub/ builds for another address (CI passes GitHub Pages').
site: $(STAMP)
	$(PY) build.py build $(if $(BASE_URL),--base-url "$(BASE_URL)")

# Preview on http://127.0.0.1:8000/ with live reload; rebuilds what each edit affects (HOST=, PORT= to change).
serve: $(STAMP)
	$(PY) build.py serve --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

# make check FORMAT=github prints problems as GitHub annotations (CI uses it on pull requests).
check: $(STAMP)
	$(PY) build.py check $(if $(FORMAT),--format $(FORMAT))

# Start a new incident file from templates/new-incident.md; asks for what is missing.
# make new DATE=2024-11-07 CITY=Independence TITLE="Officer fires at man in parking lot"
new: $(STAMP)
	$(PY) build.py new $(if $(DATE),--date "$(DATE)") $(if $(CITY),--city "$(CITY)") $(if $(TITLE),--title "$(TITLE)")

# Regenerate schemas/*.schema.json (the JSON Schemas for editors) from kcrecord/schema.py and site.yaml.
schemas: $(STAMP)
	$(PY) -m kcrecord.json_schema

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Regenerate the golden site on purpose after an intended change to the output.
golden: $(STAMP)
	$(PY) -m tests.golden

$(STAMP): requirements.txt requirements-test.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $(STAMP)

clean:
	rm -rf site .venv .cache
