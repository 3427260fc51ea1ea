# One command sets everything up and runs the main job; one sets everything up and runs the tests.
#   make demo     # install + train SNE on the default sine-INR zoo, print MSE, write a plot
#   make test     # install + run the test suite
# Overridable: PYTHON, TORCH_VERSION, TORCH_SCATTER_VERSION, DEMO_ARGS.
PYTHON ?= python3
TORCH_VERSION ?= 2.13.0
TORCH_SCATTER_VERSION ?= 2.1.2
DEMO_ARGS ?=

.PHONY: setup demo test tables bench clean

setup:
	$(PYTHON) -m pip install "torch==$(TORCH_VERSION)" numpy
	# torch-scatter ships as source only: build against the installed torch (no build isolation)
	$(PYTHON) -c "import torch_scatter" 2>/dev/null || \
		$(PYTHON) -m pip install --no-build-isolation "torch-scatter==$(TORCH_SCATTER_VERSION)"
	$(PYTHON) -m pip install -e ".[dev]"

demo: setup
	$(PYTHON) -m sne_pyg.demo $(DEMO_ARGS)

test: setup
	$(PYTHON) -m pytest -q -n auto --dist worksteal

# README tables from docs/results/*.json (tests/experiments/test_readme_tables.py checks they agree)
tables:
	$(PYTHON) -m sne_pyg.experiments.readme_tables

clean:
	rm -rf build *.egg-info .pytest_cache runs
