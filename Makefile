# The two commands a new user needs: `make report` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
CORES ?= all
CONFIG ?= config/config.yaml
# Keras backend: tensorflow (installed always, the default), jax or torch. `make setup
# BACKEND=jax` installs it, `make report BACKEND=jax` trains on it; CI installs several for
# the tests with BACKEND=jax,torch.
BACKEND ?=
BIN := $(VENV)/bin
comma := ,
empty :=
space := $(empty) $(empty)
EXTRAS := $(subst $(space),$(comma),$(strip test dev $(filter jax torch,$(subst $(comma), ,$(BACKEND)))))
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
# The report's runs train on BACKEND when it names one backend, else on the config's or
# KERAS_BACKEND's choice (TensorFlow by default).
RUN_BACKEND := $(if $(filter tensorflow jax torch,$(BACKEND)),KERAS_BACKEND=$(BACKEND) )

.PHONY: setup report dry-run screenshot test unit lint clean lock

# Creates the virtual environment and installs the exact versions in constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup: $(STAMP)

# Builds results/report/report.html and report.pdf for $(CONFIG) (checked first: a YAML or
# config mistake is reported with its line, column or key path before anything runs).
report: $(STAMP)
	$(BIN)/archstudy check $(CONFIG)
	$(RUN_BACKEND)$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

# Shows what would run, without running it.
dry-run: $(STAMP)
	$(BIN)/archstudy check $(CONFIG)
	$(RUN_BACKEND)$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --dry-run

# docs/report-screenshot.png: the first screen of the built report, in headless Chromium.
screenshot: $(STAMP)
	$(BIN)/python tools/browser.py results/report/report.html docs/report-screenshot.png

# The test suite (unit tests and a real end-to-end workflow run on a tiny config).
test: $(STAMP)
	$(BIN)/python -m pytest

# The quick part: tests that train no network and run no workflow (about 2 minutes on 2 cores).
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e and not trains"

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts tools benchmarks
	$(BIN)/ruff format --check src tests tools
	$(BIN)/mypy src/archstudy
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint --cores 1

# Removes everything the workflow derived; downloaded data (resources/) is kept.
clean:
	rm -rf results logs .snakemake/incomplete .snakemake/metadata

# Re-pins constraints.txt from the current environment (after changing pyproject.toml).
lock: $(STAMP)
	{ head -n 3 constraints.txt; $(BIN)/python -m pip freeze --exclude-editable \
	  | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
