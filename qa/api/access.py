"""Who may call what: the API key (``QA_API_KEY``, for writes, and for reads with
``QA_API_KEY_READ``), the loopback rule for writes without a key, and writes only from the
service's own page or from clients that are not browsers. How often is ``qa.api.rates``;
which origins, ``qa.api.cors``."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from qa.api.cors import origins
from qa.settings import Settings

WRITES_CLOSED = (
    "Writes are disabled: this server listens on {host}, not only on loopback, and no API "
    "key is set. Set QA_API_KEY and send 'Authorization: Bearer <key>', or bind to 127.0.0.1."
)
READS_CLOSED = "Reads are disabled: QA_API_KEY_READ is set but QA_API_KEY is not."
NEEDS_KEY = "This needs the API key: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."
WRONG_KEY = "The API key is wrong: send the header 'Authorization: Bearer <key>' (QA_API_KEY)."


CROSS_SITE = (
    "Writes from another site's page are refused (Sec-Fetch-Site: {site}): add and remove "
    "articles from this service's own page or with a client that is not a browser."
)
FOREIGN_ORIGIN = (
    "Writes from a page of another origin ({origin}) are refused: use this service's own "
    "page, a client that is not a browser, or name the origin in QA_CORS_ORIGINS."
)
DEFAULT_PORTS = {"http": 80, "https": 443}


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


def _same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (scheme://host[:port]) names the host the request was sent to."""
    try:
        parts = urlsplit(origin)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        sent = urlsplit(f"{parts.scheme}://{host}")
        sent_port = sent.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    return bool(parts.hostname) and (parts.hostname, port) == (sent.hostname, sent_port)


def require_own_page(request: Request, settings: Settings) -> None:
    """A write a browser sends from another site's page is refused, key or no key (a
    multipart POST needs no CORS preflight). As Django's CSRF origin check: an ``Origin``
    must be the service's own (the ``Host`` it was sent to) or one of ``QA_CORS_ORIGINS``;
    as the Fetch Metadata resource isolation policy: ``Sec-Fetch-Site`` must be
    ``same-origin`` or ``none`` (typed in), or absent (not a browser)."""
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") in origins(settings):
        return
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in ("cross-site", "same-site"):
        raise HTTPException(403, CROSS_SITE.format(site=site))
    if origin is not None and not _same_origin(origin, request.headers.get("host", "")):
        raise HTTPException(403, FOREIGN_ORIGIN.format(origin=origin[:100]))


def require_write(request: Request) -> None:
    """Writes come from the service's own page or a non-browser client, need the key if
    one is set, and are refused off loopback without one."""
    settings: Settings = request.app.state.settings
    require_own_page(request, settings)
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
