# Two commands for a new user: `make app` and `make test`. `make setup` is their shared, idempotent first step.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
# bfcl-eval's declared dependencies are gigabytes and broken: we install it alone (its classes need only mpmath).
BFCL   := bfcl-eval==2026.3.23

.PHONY: setup app test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps '$(BFCL)'
	touch $(STAMP)

app: setup
	$(BIN)/streamlit run workbench/app.py

test: setup
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected, which counts as a failure"; exit 1; fi; \
	exit $$rc

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
