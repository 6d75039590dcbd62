# qa: cited answers from news articles.  `make serve` runs it, `make test` tests it.
PY      := .venv/bin/python
QA      := .venv/bin/qa
export QA_VECTORSTORE_DIR ?= vectorstore

.PHONY: install serve test lint format eval clean

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

lint: install
	.venv/bin/ruff check qa tests eval
	.venv/bin/ruff format --check qa tests eval
	.venv/bin/mypy qa

format: install
	.venv/bin/ruff check --fix qa tests eval
	.venv/bin/ruff format qa tests eval

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
