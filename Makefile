# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test demo audit spark spark-stop

# Python 3.11's venv seeds pip 23.2.1 and setuptools 65.5.0, both with known advisories: pip is
# brought up to date, and setuptools goes (nothing needs it at run time; pip builds in isolation),
# as Python 3.12's venv does by default.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip uninstall --quiet --yes setuptools

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m streamlit run streamlit_app.py

# Lint, formatting, types, then the suite. pytest exits 5 when it collected no tests: a failure here.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# Known advisories for every installed distribution (needs the package index: CI runs it).
# Accepted as not covered, by exact version: the newest releases for Python 3.11 (numpy 2.5 and
# pyproj 3.8 need 3.12; oidc-provider-mock 0.4, the tests' OpenID provider, too), so PyPI's advisory data,
# which is for the newest release, does not cover them.
AUDIT_ACCEPT := numpy==2.4.6 pyproj==3.7.2 oidc-provider-mock==0.3.4
audit: $(VENV)/.installed-test
	$(BIN)/python scripts/audit_deps.py --strict $(addprefix --accept ,$(AUDIT_ACCEPT))

demo: $(VENV)/.installed
	$(BIN)/python -m dashboard demo

# A local Spark Connect server on 127.0.0.1:15002 (scripts/spark.sh; ~45 s to start) for `python -m dashboard
# engine check`, the `spark` tests (TIDELINE_TEST_SPARK_URL=sc://127.0.0.1:15002) and benchmarks/bench_engines.py.
spark: | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-spark.txt
	scripts/spark.sh start

spark-stop:
	scripts/spark.sh stop
