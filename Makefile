# The two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The HTML validators the tests run (Nu HTML Checker, axe-core), from package.json.
NODE_INSTALLED := node_modules/.installed

.PHONY: run test lint clean

run: $(INSTALLED)
	./scripts/run-local

# loadscope: each module runs on one worker, so a world a module builds once (the access matrix,
# the feeds, the HTML validity pages) is built once per run, not once per worker.
test: lint $(NODE_INSTALLED)
	$(BIN)/pytest -n auto --dist loadscope $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Reinstall whenever the dependency list changes.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "statuspage needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pybabel -q compile -d translations
	touch $@

# Reinstall whenever the validators' versions change. No install scripts: vnu-jar's would fetch a
# Java runtime, and the machine's Java 17 is the one to use. Without npm the validator tests skip
# (and fail in CI) saying what is missing.
$(NODE_INSTALLED): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm is not installed: the HTML validator tests will skip (apt-get install npm)"; \
	fi

clean:
	rm -rf $(VENV) node_modules instance/statuspage.sqlite3 .pytest_cache
