# The README's two commands: `make run` and `make test`. Each sets up everything it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
EMULATOR := tests/emulator
EMULATOR_INSTALLED := $(EMULATOR)/node_modules/.installed

.PHONY: run test lint bench clean

$(INSTALLED): pyproject.toml Makefile  # (the recipe below is part of the set-up)
	$(PYTHON) -m venv $(VENV)
	@# setuptools >= 82 has no pkg_resources, which jieba imports when present (0.12 s of every start).
	$(PY) -m pip install --quiet --upgrade pip 'setuptools>=82'
	$(PY) -m pip install --quiet -e '.[test]'
	@# Fit the classifier's learned models once (cached under DATA_DIR): a first start then takes < 1 s.
	$(PY) -c 'import classifier; classifier.get_classifier()'
	touch $@

# The Bot API emulator for end-to-end tests; skipped quietly where npm is missing.
$(EMULATOR_INSTALLED): $(EMULATOR)/package.json $(EMULATOR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund --prefix $(EMULATOR) && touch $@; \
	else echo "npm not found: end-to-end tests will be skipped"; fi

run: $(INSTALLED)
	$(PY) -m bot

test: $(INSTALLED) $(EMULATOR_INSTALLED)
	$(VENV)/bin/ruff check .
	@# Learn what a change to the classifier made stale once, before the test processes share it (else a no-op).
	$(PY) -c 'import classifier; classifier.get_classifier()'
	$(PY) -m pytest -n 2  # two processes (pytest-xdist): the suite is mostly waiting on bots and databases

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

bench: $(INSTALLED)
	$(PY) -m classifier.bench

# What `make` installed. Not data/: the database lives there (by default), with the learned models.
clean:
	rm -rf $(VENV) $(EMULATOR)/node_modules
