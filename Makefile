# qa: cited answers from news articles.  `make serve` runs it, `make test` tests it.
PY      := .venv/bin/python
QA      := .venv/bin/qa
export QA_VECTORSTORE_DIR ?= vectorstore

.PHONY: install serve test lint format eval eval-check clean

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --upgrade pip
	# the CPU build of torch first: an unpinned torch pulls several GB of CUDA packages
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[dev]'
	touch $@

install: .venv/.installed

serve: install
	$(QA) ingest --if-empty
	$(QA) serve

test: install lint
	$(PY) -m pytest -q
	$(MAKE) eval-check

# The seeds eval on a fresh store: `make eval` rewrites the committed baseline report,
# `make eval-check` fails when a figure falls under eval/thresholds.json.
EVAL_STORE := .cache/eval-store
eval: install
	rm -rf $(EVAL_STORE)
	QA_VECTORSTORE_DIR=$(EVAL_STORE) $(QA) ingest seeds
	QA_VECTORSTORE_DIR=$(EVAL_STORE) $(QA) eval --out eval/baseline

eval-check: install
	rm -rf $(EVAL_STORE)
	QA_VECTORSTORE_DIR=$(EVAL_STORE) $(QA) ingest seeds
	QA_VECTORSTORE_DIR=$(EVAL_STORE) $(QA) eval --out eval/results --check

lint: install
	.venv/bin/ruff check qa tests eval
	.venv/bin/ruff format --check qa tests eval
	.venv/bin/mypy qa

format: install
	.venv/bin/ruff check --fix qa tests eval
	.venv/bin/ruff format qa tests eval

clean:
	rm -rf .venv .cache .pytest_cache .mypy_cache .ruff_cache
