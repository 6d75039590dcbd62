"""Per-client rate limits on the chat routes: wraps the ``limits`` library.

A moving window (``QA_RATE_LIMIT``, e.g. ``60/minute``: at most 60 requests in any
minute) counted per client address. The counts live where ``QA_RATE_LIMIT_STORAGE``
says: ``memory://`` (the default: each worker process counts on its own) or
``redis://host:port`` (one count shared by every worker and host). A store that cannot
be reached lets requests through, with a warning in the log: a rate limiter that is down
must not take the chat down with it.
"""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from limits import RateLimitItem, parse, storage, strategies
from limits.errors import StorageError

from qa.settings import Settings

logger = logging.getLogger("qa.api")
NAMESPACE = "qa-chat"
_TIMEOUTS = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}  # Redis, in seconds


def parse_rate(text: str) -> RateLimitItem | None:
    """``"60/minute"``, ``"100 per hour"``, ``"10/5 seconds"``...; None for ``"off"``."""
    spec = " ".join(text.strip().lower().split())
    if spec in ("", "off", "none"):
        return None
    try:
        item = parse(spec)
    except ValueError:
        item = None
    if item is None or item.amount < 1:
        raise ValueError(
            f"QA_RATE_LIMIT={text!r}: use N/second, N/minute, N/hour or N/day (N at least 1), "
            "or off"
        )
    return item


def describe(rate: RateLimitItem) -> str:
    """``60/minute``, ``10/5 seconds``."""
    unit = rate.GRANULARITY.name
    per = unit if rate.multiples == 1 else f"{rate.multiples} {unit}s"
    return f"{rate.amount}/{per}"


def _where(uri: str) -> str:
    """The storage's scheme, host and port: never its password."""
    parsed = urlsplit(uri)
    host, _, port = parsed.netloc.rpartition("@")[2].partition(":")
    return f"{parsed.scheme}://{host}" + (f":{port}" if port else "")


class RateLimiter:
    """``take(client)``: 0 if the client may go ahead (and counts it), else the seconds
    until it may."""

    def __init__(self, rate: RateLimitItem, storage_uri: str = "memory://"):
        options = _TIMEOUTS if storage_uri.startswith("redis") else {}
        try:
            self.storage = storage.storage_from_string(storage_uri, wrap_exceptions=True, **options)
        except Exception as exc:  # limits: an unknown scheme; redis: a malformed URL
            raise ValueError(f"QA_RATE_LIMIT_STORAGE ({_where(storage_uri)}): {exc}") from exc
        self.rate = rate
        self.text = describe(rate)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.where = _where(storage_uri)  # for messages: no password

    def take(self, client: str) -> float:
        try:
            if self.limiter.hit(self.rate, NAMESPACE, client):
                return 0.0
            reset = self.limiter.get_window_stats(self.rate, NAMESPACE, client).reset_time
        except StorageError as exc:
            logger.warning("rate limits not enforced: %s unavailable (%s)", self.where, exc)
            return 0.0
        return max(reset - time.time(), 0.001)


async def rate_limited(request: Request) -> None:
    """429 with Retry-After when this client is over ``QA_RATE_LIMIT``."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return
    client = request.client.host if request.client else "unknown"
    wait = limiter.take(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            429,
            f"Too many requests: at most {limiter.text} per client (QA_RATE_LIMIT); "
            f"try again in {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """The limiter of ``QA_RATE_LIMIT`` (None: "off"), for ``rate_limited``."""
    rate = parse_rate(settings.rate_limit)
    app.state.rate_limiter = RateLimiter(rate, settings.rate_limit_storage) if rate else None
