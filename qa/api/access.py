"""Who may call what, and how often: the API key, the loopback rule for writes, per-client
rate limits on the chat routes, and CORS (closed unless ``QA_CORS_ORIGINS`` opens it)."""

from __future__ import annotations

import hmac
import ipaddress
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware

from qa.settings import Settings

WRITES_CLOSED = (
    "Writes are disabled: this server listens on {host}, not only on loopback, and no API "
    "key is set. Set QA_API_KEY and send 'Authorization: Bearer <key>', or bind to 127.0.0.1."
)
READS_CLOSED = "Reads are disabled: QA_API_KEY_READ is set but QA_API_KEY is not."
NEEDS_KEY = "This needs the API key: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."
WRONG_KEY = "The API key is wrong: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."
PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` accepts connections from this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _key(settings: Settings) -> str | None:
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    return key or None


def _check_key(request: Request, key: str) -> None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise HTTPException(401, NEEDS_KEY, headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise HTTPException(401, WRONG_KEY, headers={"WWW-Authenticate": "Bearer"})


def require_write(request: Request) -> None:
    """Writes need the key if one is set, and are refused off loopback without one."""
    settings: Settings = request.app.state.settings
    key = _key(settings)
    if key is not None:
        _check_key(request, key)
    elif not is_loopback(settings.host):
        raise HTTPException(403, WRITES_CLOSED.format(host=settings.host))


def require_read(request: Request) -> None:
    """Reads need the key only with ``QA_API_KEY_READ=true``."""
    settings: Settings = request.app.state.settings
    if not settings.api_key_read:
        return
    key = _key(settings)
    if key is None:
        raise HTTPException(403, READS_CLOSED)
    _check_key(request, key)


# -- rate limits --------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float
    text: str


def parse_rate(text: str) -> Rate | None:
    """``"60/minute"`` (or /second, /hour, /day); None for ``"off"`` or empty."""
    spec = text.strip().lower()
    if spec in ("", "off", "none"):
        return None
    found = re.fullmatch(r"(\d+)\s*/\s*(second|minute|hour|day)", spec)
    if found is None or int(found[1]) < 1:
        raise ValueError(f"QA_RATE_LIMIT={text!r}: use N/second, N/minute, N/hour, N/day or off")
    return Rate(int(found[1]), PERIODS[found[2]], f"{int(found[1])}/{found[2]}")


class RateLimiter:
    """A token bucket per client: ``count`` requests at once, refilled evenly over the
    period. In memory, so each worker process keeps its own."""

    max_clients = 10_000

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.clock = clock
        self.interval = rate.seconds / rate.count  # seconds to earn one request back
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 if the client may go ahead (and counts it), else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens = self._tokens(client, now)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > self.max_clients:
                    self._forget_idle(now)
                return 0.0
            return (1 - tokens) * self.interval

    def _tokens(self, client: str, now: float) -> float:
        tokens, when = self._buckets.get(client, (float(self.rate.count), now))
        return min(float(self.rate.count), tokens + (now - when) / self.interval)

    def _forget_idle(self, now: float) -> None:
        """Drop clients whose bucket is full again: forgetting them changes nothing."""
        idle = [c for c in self._buckets if self._tokens(c, now) >= self.rate.count]
        for client in idle:
            del self._buckets[client]


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
            f"Too many requests: at most {limiter.rate.text} per client (QA_RATE_LIMIT); "
            f"try again in {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )


# -- wiring -------------------------------------------------------------------------------
def origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


def install_access(app: FastAPI, settings: Settings) -> None:
    """The rate limiter, and CORS if origins are configured (add it last: outermost, so
    that every response, errors included, carries its headers)."""
    rate = parse_rate(settings.rate_limit)
    app.state.rate_limiter = RateLimiter(rate) if rate else None
    allowed = origins(settings)
    if allowed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
