# Every target works on a fresh machine with only Python: the virtual
# environment is created and filled on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: install test fuzz lint format clean bench demo docs notebooks fork upstream-patch fork-test downstream

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test,examples,docs]"
	touch $@

install: $(VENV)/.installed

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Thousands of random mixtures; FUZZ_SCALE scales the number of examples.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest test/test_fuzz_mixtures.py \
		-n auto -p no:cacheprovider --hypothesis-show-statistics

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

demo: install
	$(BIN)/python examples/power_law_peak.py

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

notebooks: install
	$(BIN)/python -m pytest -p no:cacheprovider --nbmake notebooks/

# The patched NumPyro wheel, built from the pinned sdist (downloaded, hash
# checked) and the patch modules; see numpyro_mixsupport/fork.py.
fork: install
	$(BIN)/python -m numpyro_mixsupport.fork build

# The upstream patch, dist/numpyro-mixsupport.patch. NUMPYRO_SRC=path/to/numpyro
# writes it against a NumPyro git checkout instead of the sdist.
upstream-patch: install
	$(BIN)/python -m numpyro_mixsupport.fork patch $(if $(NUMPYRO_SRC),--numpyro-src $(NUMPYRO_SRC))

# NumPyro's own tests on the fork wheel and on stock NumPyro, each in a fresh
# virtual environment, and ours on the fork; prints the counts side by side.
FORK_TEST_WORKERS ?= 2
fork-test: fork
	$(BIN)/python -m numpyro_mixsupport.fork test --workers $(FORK_TEST_WORKERS)

# Downstream users' code (gwkokab's models and tests) on stock NumPyro and on
# the fork, each in its own environment under build/downstream/; prints the
# comparison and the test counts side by side (see docs/downstream.md).
# DOWNSTREAM_ARGS=--full runs every selected test, --fresh rebuilds the
# environments.
DOWNSTREAM_ARGS ?=
downstream: fork
	$(BIN)/python -m downstream -n $(FORK_TEST_WORKERS) $(DOWNSTREAM_ARGS)

clean:
	rm -rf $(VENV) .ci-venv .ci-fork-venv .ci-stock-venv build dist *.egg-info docs/_build docs/_generated
