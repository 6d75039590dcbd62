"""Per-client rate limits on the chat routes, counted in memory or in a shared Redis."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from qa.api.rates import RateLimiter, describe, parse_rate
from tests.api.checks import detail
from tests.helpers import PROPAGANDA
from tests.servers import REDIS, redis_server


# -- rate limits ----------------------------------------------------------------------
def test_chat_routes_are_rate_limited_per_client(make_client: Any) -> None:
    client = make_client(rate_limit="3/minute")
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    with client.stream("POST", "/chat/stream", json={"message": PROPAGANDA}) as stream:
        assert stream.status_code == 200
        stream.read()
    openai = {"messages": [{"role": "user", "content": PROPAGANDA}]}
    assert client.post("/v1/chat/completions", json=openai).status_code == 200
    for path, body in (("/chat", {"message": PROPAGANDA}), ("/v1/chat/completions", openai)):
        limited = client.post(path, json=body)
        assert limited.status_code == 429, limited.text
        assert "3/minute" in detail(limited) and "QA_RATE_LIMIT" in detail(limited)
        assert int(limited.headers["retry-after"]) >= 1
    assert "error" in limited.json()  # the OpenAI shape under /v1
    assert client.get("/search", params={"q": "Interpol"}).status_code == 200  # not limited
    other = make_client(client=("127.0.0.9", 50000), rate_limit="3/minute")
    assert other.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    unlimited = make_client(rate_limit="off")
    for _ in range(5):
        assert unlimited.post("/chat", json={"message": "Who is Brian Hook?"}).status_code == 200


def test_rate_limiter_counts_a_moving_window() -> None:
    limiter = RateLimiter(parse_rate("2/second") or pytest.fail())
    assert limiter.take("a") == limiter.take("a") == 0.0
    wait = limiter.take("a")
    assert 0 < wait <= 1.0
    assert limiter.take("b") == 0.0  # each client its own count
    time.sleep(wait + 0.05)
    assert limiter.take("a") == 0.0


def test_workers_share_a_limit_kept_in_redis(
    make_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two apps (two workers) with the counts in one Redis: the limit is for both
    together; with Redis gone, requests go through and the log says so."""
    if REDIS is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("no redis-server: make test installs it and runs this")
    with redis_server(tmp_path) as url:
        one, two = (make_client(rate_limit="3/minute", rate_limit_storage=url) for _ in "12")
        for client in (one, two, one):
            assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
        for client in (two, one):
            limited = client.post("/chat", json={"message": PROPAGANDA})
            assert limited.status_code == 429, limited.text
            assert int(limited.headers["retry-after"]) >= 1
    with caplog.at_level(logging.WARNING, logger="qa.api"):
        assert two.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    assert "rate limits not enforced: redis://127.0.0.1:" in caplog.text


@pytest.mark.parametrize("spec", ["60", "ten/minute", "0/minute", "5/fortnight", "5 a day"])
def test_bad_rate_limits_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="QA_RATE_LIMIT"):
        parse_rate(spec)


def test_rate_limit_spellings() -> None:
    assert parse_rate("off") is None and parse_rate("") is None
    rate = parse_rate(" 100 / Hour ")
    assert rate is not None and (rate.amount, rate.get_expiry()) == (100, 3600)
    assert describe(parse_rate("5 per day") or pytest.fail()) == "5/day"
    assert describe(parse_rate("10/5 seconds") or pytest.fail()) == "10/5 seconds"


def test_unknown_rate_limit_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="QA_RATE_LIMIT_STORAGE"):
        RateLimiter(parse_rate("1/second") or pytest.fail(), "carrier-pigeon://loft")
