# make run  : set everything up and serve the demo on SQLite at http://127.0.0.1:5000
# make test : set everything up and run the whole test suite
# make lint : ruff (format and checks) and mypy over the packages named in pyproject.toml
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed

.PHONY: install run test lint format audit clean

$(STAMP): pyproject.toml $(PLUGINS) Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e './$(dir $(p))')
	$(BIN)/python -m pip install --quiet --no-deps recbole==1.2.1
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/lti-tool db upgrade
	$(BIN)/lti-tool demo
	$(BIN)/lti-tool recommend train --if-due
	@echo ""
	@echo "Open http://127.0.0.1:5000/ for the site, /dev/sign-in to act as any demo person,"
	@echo "and /dev/lms to launch the tool from a mock LMS course. Ctrl-C stops the server"
	@echo "and its background worker (grades, refunds, e-mails, reminders)."
	$(BIN)/lti-tool worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/lti-tool serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/python .ci/audit.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache
