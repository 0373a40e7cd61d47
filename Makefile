# Every target works on a fresh machine with only Python: the virtual
# environment is created and filled on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: install test fuzz lint format clean bench demo population docs notebooks fork fork-branch fork-install-check fork-test fork-test-release upstream-test-full downstream

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

# Each script's output goes to benchmarks/results/, which the docs include as
# they are; BENCH_ARGS=--quick for a short run.
BENCH_ARGS ?=
bench: install
	mkdir -p benchmarks/results
	for f in benchmarks/bench_*.py; do \
		out=benchmarks/results/$$(basename $$f .py).txt; \
		$(BIN)/python $$f $(BENCH_ARGS) > $$out.part; status=$$?; cat $$out.part; \
		test $$status -eq 0 || exit $$status; mv $$out.part $$out; \
	done

demo: install
	$(BIN)/python examples/power_law_peak.py

# Power Law + Peak from per-event posterior samples and found injections
# (measurement errors and selection effects); figures in build/population/.
# POPULATION_ARGS=--quick runs a small catalogue.
POPULATION_ARGS ?=
population: install
	$(BIN)/python examples/population.py $(POPULATION_ARGS)

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html
	$(BIN)/sphinx-build -W -q -b doctest docs docs/_build/doctest

notebooks: install
	$(BIN)/python -m pytest -p no:cacheprovider --nbmake notebooks/

# The fork (developer tooling in fork/; `python -m fork --help`).
# The patched NumPyro wheel: NumPyro 0.22.0's hash-checked sdist with the whole
# series of upstream/ applied, built twice to check that it is reproducible.
fork: install
	$(BIN)/python -m fork build

# The fork branch: one commit per pull request of upstream/, on NumPyro's master
# (NUMPYRO_SRC=path/to/numpyro-checkout, by default the snapshot in
# ../shared/upstream/), in build/fork-branch; each commit as a patch in
# dist/upstream/. `pip install "git+file://$(CURDIR)/build/fork-branch@mixsupport"`.
fork-branch: install
	$(BIN)/python -m fork branch $(if $(NUMPYRO_SRC),--numpyro-src $(NUMPYRO_SRC))

# A fresh environment with `pip install git+file://...@mixsupport`, then NUTS on
# disjoint uniforms and on a support that moves with another latent, and SVI.
fork-install-check: fork-branch
	$(BIN)/python -m fork install-check

# NumPyro's tests under its own configuration and root conftest, on the branch
# top, and again on master for those that fail on the branch.
FORK_TEST_WORKERS ?= 2
# FORK_TEST_ARGS=--quick: of NumPyro's test/infer files, only the series' tests.
FORK_TEST_ARGS ?=
fork-test: fork-branch
	$(BIN)/python -m fork -n $(FORK_TEST_WORKERS) test $(FORK_TEST_ARGS)

# The tests the series adds, from the patched 0.22.0 sdist, on the fork wheel.
fork-test-release: fork
	$(BIN)/python -m fork -n $(FORK_TEST_WORKERS) test-release

# NumPyro's whole test/ as its CI runs it (x64 and chain jobs included), on the
# branch top and, for what fails there, on master. Hours on two cores.
# UPSTREAM_JOBS="x64 chains" runs only those of NumPyro's CI jobs.
UPSTREAM_JOBS ?=
upstream-test-full: fork-branch
	$(BIN)/python -m fork -n $(FORK_TEST_WORKERS) test --full $(foreach job,$(UPSTREAM_JOBS),--job $(job))

# Downstream users' code (gwkokab's models and tests) on stock NumPyro and on
# the fork, each in its own environment under build/downstream/; prints the
# comparison and the test counts side by side (see docs/downstream.md).
# DOWNSTREAM_ARGS=--full runs every selected test, --fresh rebuilds the
# environments.
DOWNSTREAM_ARGS ?=
downstream: fork
	$(BIN)/python -m downstream -n $(FORK_TEST_WORKERS) $(DOWNSTREAM_ARGS)

clean:
	rm -rf $(VENV) .ci-venv build dist *.egg-info docs/_build docs/_generated
