# Two commands for a new user: `make app` and `make test`. `make setup` is their shared, idempotent first step.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
# bfcl-eval's declared dependencies are gigabytes and broken: we install it alone (its classes need only mpmath).
BFCL   := bfcl-eval==2026.3.23

.PHONY: setup browser app test lint bench clean

# Our own modules are byte-compiled here too (only those changed since): an editable install leaves that to the
# first import, and where PYTHONDONTWRITEBYTECODE is set (many containers) every `fr` start would compile them again.
setup: $(STAMP)
	@$(BIN)/python -m compileall -q fr_core workbench >/dev/null

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps '$(BFCL)'
	touch $(STAMP)

# `fr app` passes the server options itself (127.0.0.1 only, no usage statistics), from whatever folder.
app: setup
	$(BIN)/fr app

# The end-to-end test drives Debian's chromium with Selenium; install it when missing (needs root and apt).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "make test: chromium could not be installed; the browser test will be skipped"; \
	  else echo "make test: no chromium/chromedriver and no root apt-get; the browser test will be skipped"; fi; \
	fi

# Two pytest-xdist workers (`make test WORKERS=0` runs the suite in this one process), each given whole test files,
# the files of `slow` tests first (tests/conftest.py), so a module's fixtures (one Ray runtime) stay on one worker.
# Not --dist loadgroup: xdist 3.8's xdist_group does nothing under pytest 9 (it sets item._nodeid, which pytest 9
# no longer reads).
WORKERS ?= 2

test: setup browser lint
	@$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected, which counts as a failure"; exit 1; fi; \
	exit $$rc

# ruff on the package, its tests and benches, mypy on fr_core (configured in pyproject.toml); the first step of
# `make test`.
lint: setup
	$(BIN)/ruff check fr_core tests bench
	$(BIN)/mypy

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
