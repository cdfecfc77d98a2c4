# Bagou: `make run` sets up and starts everything, `make test` runs every test,
# `make check` is the fast gate (lint, types, the tests that need only .venv).
# This machine's environment sets PYTHONDONTWRITEBYTECODE: each test process, and each
# server a test starts, would compile our modules again, and pytest would rewrite the
# asserts of every test module again (a third of `make check`).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test check check-types check-tests check-fuzz setup train bench bench-levels soak faults eval lock clean

run: setup
	.venv/bin/bagou run

# The README's test command, and CI's: the lint and type gate, then every test.
test: setup
	.venv/bin/ruff check
	.venv/bin/mypy bot actions
	scripts/browser.sh
	scripts/services.sh
	.venv/bin/python -m pytest

# Needs neither Rasa's environment, a browser, nor PostgreSQL and Redis. Three jobs at
# once after the lint: the types, the tests on two workers (work stealing: a worker
# that is done takes tests from the other, so no long module ends the run alone), and
# the fuzzing on its own (schemathesis's cases share one test id, which xdist would
# run once).
FAST_TESTS = not stack and not browser and not services and not rasa_env
check: setup
	.venv/bin/ruff check
	@$(MAKE) --no-print-directory -j3 --output-sync=target check-types check-tests check-fuzz

check-types:
	.venv/bin/mypy bot actions

check-tests:
	.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal -m "$(FAST_TESTS)" --ignore=tests/test_fuzz.py

check-fuzz:
	.venv/bin/python -m pytest -q -p no:cacheprovider -m "$(FAST_TESTS)" tests/test_fuzz.py

setup:
	@scripts/setup.sh

train: setup
	.venv/bin/bagou train

# Topic accuracy on the held-out messages of tests/nlu/heldout.yml.
eval: setup
	.venv/bin/bagou eval --report docs/nlu-report.md

# A plain `rasa run` and the whole stack side by side on the same model, interleaved
# rounds at 16 and 64 sessions (docs/performance.md); bench-levels: every set-up, 1 to 64.
bench: setup
	.venv/bin/python bench/chat_bench.py --compare --docs

bench-levels: setup
	.venv/bin/python bench/chat_bench.py --docs

# Ten minutes of 16 people on the whole stack: errors and memory (docs/reliability.md).
soak: setup
	.venv/bin/python bench/soak.py

# Faults injected one after the other while 16 people talk, on the production topology
# (PostgreSQL and Redis from scripts/services.sh): recovery and no loss (docs/reliability.md).
faults: setup
	scripts/services.sh
	.venv/bin/python bench/faults.py

# Re-resolve both environments from requirements/rasa.in and pyproject.toml, then
# write the locks. Run it on purpose, review the diff, commit.
lock:
	rm -rf .venv-lock .venv-rasa-lock
	scripts/lock.sh

clean:
	rm -rf .venv .venv-rasa models var .rasa
