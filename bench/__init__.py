"""Benchmarks of qa on data nobody on the project wrote (SQuAD v1.1 dev, RealTime QA).

``python -m bench.quality`` (``make bench``): retrieval and answer quality of our pipeline
beside two baselines. ``python -m bench.perf`` (``make bench-perf``): ingest throughput,
query latency in-process and over HTTP, and the server's peak memory. Both write to
``bench/results/``; see the "Benchmarks" section of the README.
"""
