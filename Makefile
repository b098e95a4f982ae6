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

# loadgroup: tests marked xdist_group (the HTML validity module) go to one worker, so it sets up
# once. pytest-xdist 3.8 does not group under pytest 9.2 yet (its issue 1386): until it does, that
# module runs on both workers, set up once on each.
test: lint $(NODE_INSTALLED)
	$(BIN)/pytest -n auto --dist loadgroup

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Reinstall whenever the dependency list changes.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "statuspage needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
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
