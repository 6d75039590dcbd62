"""Who may call what, and how often: the API key, the loopback rule for writes, the rate
limiter (``qa.api.rates``) on the chat routes, and CORS (closed unless
``QA_CORS_ORIGINS`` opens it)."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware

from qa.api.rates import RateLimiter, parse_rate
from qa.settings import Settings

WRITES_CLOSED = (
    "Writes are disabled: this server listens on {host}, not only on loopback, and no API "
    "key is set. Set QA_API_KEY and send 'Authorization: Bearer <key>', or bind to 127.0.0.1."
)
READS_CLOSED = "Reads are disabled: QA_API_KEY_READ is set but QA_API_KEY is not."
NEEDS_KEY = "This needs the API key: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."
WRONG_KEY = "The API key is wrong: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."


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


# -- wiring -------------------------------------------------------------------------------
def origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


def install_access(app: FastAPI, settings: Settings) -> None:
    """The rate limiter, and CORS if origins are configured (add it last: outermost, so
    that every response, errors included, carries its headers)."""
    rate = parse_rate(settings.rate_limit)
    app.state.rate_limiter = RateLimiter(rate, settings.rate_limit_storage) if rate else None
    allowed = origins(settings)
    if allowed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
