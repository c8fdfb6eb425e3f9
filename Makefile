# Two commands for a fresh machine with Python 3.11, pip and make:
#   make demo   — set up, load raw/ into the warehouse, print the summary and a sample time series
#   make test   — set up, run the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test score ui clean report-prereqs bench

setup: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e ".[test,bench,gazetteer]"
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp orchestration/dagster.yaml $@

demo: setup
	$(BIN)/qcity load
	$(BIN)/qcity sql "SELECT region_zh, year, metric_id, value_canonical FROM fact_figure WHERE retired_at IS NULL AND metric_id IN ('gdp.total', 'revenue.general_budget') AND period_grain = 'year' ORDER BY region_zh, metric_id, year"

# The report tests open the HTML in headless Chromium and need a CJK font: install both when missing
# (Debian/Ubuntu, as root on CI; elsewhere install chromium and fonts-noto-cjk yourself).
report-prereqs:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  if command -v apt-get >/dev/null; then apt-get update && apt-get install -y chromium fonts-noto-cjk; \
	  else echo "report tests need chromium and a CJK font (fonts-noto-cjk)" >&2; fi; fi

# -n auto: one test process per core (pytest-xdist); a file's tests stay in one process, so its fixtures are built once
test: setup report-prereqs
	$(BIN)/pytest -q -n auto --dist loadfile

score: setup
	@mkdir -p out
	@echo "== seed"; $(BIN)/qcity extract $(SHARED)/corpus/seed --manifest raw/manifest.csv --out out/seed_pred.csv || exit 1; \
	  $(BIN)/python $(SHARED)/tools/score_figures.py --gold $(SHARED)/gold/seed_gold.csv --pred out/seed_pred.csv --docs $(SHARED)/corpus/seed
	@for set in dev dev2; do echo "== $$set"; \
	  $(BIN)/qcity extract $(SHARED)/corpus/$$set --manifest $(SHARED)/corpus/$$set/index.csv --out out/$${set}_pred.csv || exit 1; \
	  $(BIN)/python $(SHARED)/tools/score_figures.py --gold $(SHARED)/gold/$${set}_gold.csv --pred out/$${set}_pred.csv --docs $(SHARED)/corpus/$$set; done

bench: setup  # synthetic 100/1,000/10,000-document loads (3 runs each) and more: writes bench/results.md and .json (~5 min)
	$(BIN)/python -m bench.run

ui: setup
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf $(VENV) .dagster_home out warehouse/qcity.duckdb*
