# make site: build site/   make test: every test   make check: validate content only
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site check test lint format golden clean

site: $(STAMP)
	$(PY) build.py build

check: $(STAMP)
	$(PY) build.py check

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
