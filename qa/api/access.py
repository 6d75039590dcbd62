"""Who may call what: the API key (``QA_API_KEY``, for writes, and for reads with
``QA_API_KEY_READ``) and the loopback rule for writes without a key. How often is
``qa.api.rates``; which origins, ``qa.api.cors``."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import HTTPException, Request

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
