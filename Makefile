# Companion: `make run` starts the bot (the offline sandbox without BOT_TOKEN),
# `make test` runs lint, types and the whole test suite on SQLite, then the database tests
# again on a throw-away PostgreSQL.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
HASH    = $(shell cat pyproject.toml | sha1sum | cut -c1-12)
STAMP   = $(VENV)/.installed-run-$(HASH)
DEV     = $(VENV)/.installed-dev-$(HASH)

.PHONY: run test test-sqlite test-postgres lint bench install dev redis postgres chromium screenshots clean catalogues messages fuzz mutate

# The browser tests drive Debian's chromium (`make chromium`) through Playwright; Playwright's
# own browser download never runs.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = 1

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# `make install`: what the bot needs to run (SQLite and PostgreSQL drivers), at the versions
# pinned in constraints.txt, and its data folder.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[postgres]'
	rm -f $(VENV)/.installed-run-*
	touch $(STAMP)

# `make dev`: the above plus the test, lint and benchmark tools.
$(DEV): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,postgres]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(DEV)

install: $(STAMP) catalogues
	mkdir -p data

dev: $(DEV) catalogues
	mkdir -p data

# The translations: each committed bot/locales/<lang>/LC_MESSAGES/messages.po compiled to its
# .mo (git-ignored), again whenever the .po is newer. `make messages` extracts the texts of
# bot/ and merges them into every .po (then translate what is new and run `make install`).
LOCALES    = bot/locales
PYBABEL    = $(VENV)/bin/pybabel
CATALOGUES = $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po))

catalogues: $(CATALOGUES)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(PYBABEL) -q compile -i $< -o $@

messages: dev
	$(PYBABEL) -q extract -F babel.cfg --no-location --sort-output --no-wrap \
	  --project=Companion -o $(LOCALES)/messages.pot bot
	$(PYBABEL) -q update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-wrap --ignore-obsolete

# `start` creates a new database itself (from the models, in one step) or migrates an older
# one, so a first start is one Python process.
run: install
	$(PY) -m bot start

# redis-server is needed by the tests of the shared rate limits and the Redis cache.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server (needed by the Redis tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "redis-server is missing and cannot be installed here (not root or no apt-get):"; \
	    echo "install it (e.g. 'sudo apt-get install redis-server'); the Redis tests will fail without it"; \
	  fi; }

# PostgreSQL's server binaries, for the PostgreSQL run of the tests (tests/postgres.sh starts
# and stops a throw-away server in a temporary folder).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql (needed by the PostgreSQL run of the tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is missing and cannot be installed here (not root or no apt-get):"; \
	    echo "install it (e.g. 'sudo apt-get install postgresql'); the PostgreSQL run will fail without it"; \
	  fi; }

# Debian's chromium, for the browser tests of the console (tests/browser start it headless
# through Playwright with its path; no browser is downloaded from anywhere else), and Debian's
# colour emoji font, which the pages' buttons use (the screenshots show boxes without it).
chromium:
	@{ command -v chromium && ls /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and fonts-noto-color-emoji (needed by the browser tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here (not root or no apt-get):"; \
	    echo "install it (e.g. 'sudo apt-get install chromium'); the browser tests will fail without it"; \
	  fi; }

lint: dev
	$(VENV)/bin/ruff check bot tests migrations benchmarks
	$(VENV)/bin/ruff format --check bot tests migrations benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: dev redis postgres chromium lint test-sqlite test-postgres

# Tests mostly wait (on the sandbox, on subprocesses, on timers), so two workers per pass
# halve the wall time on a 2-core machine; `make test PYTEST_WORKERS=0` runs them in-process.
PYTEST_WORKERS ?= 2

test-sqlite: dev redis chromium
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS)

# The tests that touch a database, on PostgreSQL (SQLite-only checks are marked sqlite_only).
test-postgres: dev postgres
	bash tests/postgres.sh $(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --db=postgres tests/integration tests/e2e tests/faults

# Mutation testing of the guards (not part of `make test`; minutes, not seconds): mutmut mutates the
# guard functions named in tests/mutation/run.py, runs the tests that reach each, prints the score
# per guard and every mutant no test killed (docs/mutation.md explains those).
mutate: dev redis
	$(PY) tests/mutation/run.py

# The chat fuzzer (tests/fuzz) longer than `make test` runs it: N steps of one seed, e.g.
# `make fuzz N=2000 SEED=7`; without SEED a random one. A failure shows the steps before it
# and the command that replays it: `make fuzz SEED=<n> N=<steps>`.
N    ?= 2000
SEED ?=
fuzz: dev
	FUZZ_SEED="$(SEED)" FUZZ_STEPS="$(N)" $(VENV)/bin/pytest -q -n 0 --timeout=0 tests/fuzz

# The console's screenshots committed in docs/console/ (each page light and dark, on a 360x720
# phone and a 1280x800 desktop) and the sandbox chat page's in docs/sandbox/, taken anew by the
# browser tests (tests/browser); a plain test run leaves them in .pytest_cache/.
screenshots: dev chromium
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console SANDBOX_SCREENSHOTS=$(CURDIR)/docs/sandbox \
	  $(VENV)/bin/pytest -q -n 0 tests/browser

bench: dev redis postgres
	$(PY) -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
