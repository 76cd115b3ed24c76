# Homeward: `make run` brings the whole system up, `make test` checks it. The virtualenv is made
# and kept up to date here; nothing else needs installing by hand (see README: prerequisites).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: venv run demo soak bench test lint typecheck contracts pytest infra-up infra-down infra-status clean messages screenshots

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,local]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# The pages' catalogues (shared/locale, shared.http.i18n): extract the templates' strings into
# messages.pot and merge them into each language's .po (new ones empty, for a translator; changed
# ones marked fuzzy, which never reach a page until reviewed). No .mo files: the .po files are
# compiled in memory at start-up. tests/unit/test_catalogues.py fails while a string is untranslated.
LOCALE := shared/locale
LANGUAGES := en mk sq
messages: venv
	$(BIN)/pybabel extract --mapping-file $(LOCALE)/babel.cfg --no-location --sort-output \
	  --project Homeward --msgid-bugs-address i18n@homeward.invalid --keywords N_ \
	  --output-file $(LOCALE)/messages.pot .
	for lang in $(LANGUAGES); do test -f $(LOCALE)/$$lang/LC_MESSAGES/messages.po || \
	  $(BIN)/pybabel init --input-file $(LOCALE)/messages.pot --output-dir $(LOCALE) --locale $$lang --no-wrap; done
	$(BIN)/pybabel update --input-file $(LOCALE)/messages.pot --output-dir $(LOCALE) --ignore-obsolete --no-wrap

# The README's screenshots of the case page and the finance page, taken in Chromium from the services
# as they draw them now (tests/browser/test_screenshots.py; against the local infrastructure)
screenshots: venv
	HOMEWARD_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser/test_screenshots.py -q

run: venv
	$(BIN)/homeward run

# needs `make run` in another terminal, and HOMEWARD_DEMO_ADMIN_TOKEN (printed by make run's first start)
demo: venv
	$(BIN)/homeward demo $(DEMO_ARGS)

# the fault tests, longer: 5x the events and 3 rounds of each fault; the three-node cluster test three
# times over with 3,000 events each (~15 min on two cores)
soak: venv
	HOMEWARD_SOAK=1 $(BIN)/pytest tests/faults -v

# Benchmarks beside their raw baselines (never part of `make test`): against the local infrastructure,
# or KAFKA_BOOTSTRAP_SERVERS + DATABASE_URL; own topic prefix and schemas, removed at the end.
# Table on stdout, JSON in bench/results/latest.json. BENCH_ARGS="--quick" (~1 min), "--only routing ledger".
bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

test: lint typecheck contracts pytest

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy shared deploy homeward services tests bench examples

contracts: venv
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest

# BROKERS=3: a three-node Kafka cluster instead of one broker (remembered until BROKERS=1)
infra-up: venv
	$(BIN)/homeward infra up $(if $(BROKERS),--brokers $(BROKERS))

infra-down: venv
	$(BIN)/homeward infra down

infra-status: venv
	$(BIN)/homeward infra status

clean:
	$(BIN)/homeward infra down || true
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
