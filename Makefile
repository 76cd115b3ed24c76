# Homeward: `make run` brings the whole system up, `make test` checks it. The virtualenv is made
# and kept up to date here; nothing else needs installing by hand (see README: prerequisites).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: venv run test lint typecheck contracts pytest infra-up infra-down infra-status clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,local]"
	@rm -f $(VENV)/.installed-*
	@touch $@

run: venv
	$(BIN)/homeward run

test: lint typecheck contracts pytest

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy shared deploy homeward services

contracts: venv
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest

infra-up: venv
	$(BIN)/homeward infra up

infra-down: venv
	$(BIN)/homeward infra down

infra-status: venv
	$(BIN)/homeward infra status

clean:
	$(BIN)/homeward infra down || true
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
