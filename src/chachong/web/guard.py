"""The rules every request passes before it reaches a page or the API (one ASGI middleware).

* **Host**: a server on loopback answers only requests that name a loopback host, so a web page
  elsewhere cannot reach it through a DNS name pointed at 127.0.0.1 (DNS rebinding).
* **Same origin**: a browser request that changes something (POST) must come from our own
  pages: another site cannot make a reviewer's browser check or index anything.
* **Token**: when the server has one, every request carries it: ``Authorization: Bearer TOKEN``,
  or the session cookie the login page sets (HttpOnly, SameSite=Strict; its value is an HMAC of
  the token under a key made at start, so the cookie never holds the token and a restart ends
  every session). Compared in constant time; never logged, never echoed.
* **Size**: a request body is counted while it arrives and refused (413) past its route's limit,
  before it is held in memory or on disk; a ``Content-Length`` over it is refused at once.
  (Starlette's RequestBodyLimitMiddleware does the same but answers in plain text, outside the
  error handlers; the API promises JSON errors with the CLI's kind of message.)
* **Headers**: Content-Security-Policy (our own scripts and styles only, nothing fetched
  elsewhere, no framing), nosniff, no referrer to other sites, and no caching of pages that hold drafts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import CHECK_BODY_BYTES, INDEX_BODY_BYTES, OTHER_BODY_BYTES, ServeConfig, is_loopback

SESSION_COOKIE = "chachong_session"
SESSION_SECONDS = 12 * 3600
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Reached without the token: the login page, the files it needs, and a health check.
_OPEN_PATHS = ("/login", "/static/", "/healthz")
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(Exception):  # noqa: N818 - a signal from receive() to the guard, never seen outside
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def body_limit(path: str) -> int:
    if path in ("/api/check", "/check"):
        return CHECK_BODY_BYTES
    if path in ("/api/index", "/library/upload"):
        return INDEX_BODY_BYTES
    return OTHER_BODY_BYTES


def session_value(key: bytes, token: str) -> str:
    """The session cookie's value for ``token``: proves the token was given, without holding it."""
    return hmac.new(key, b"chachong-session\0" + token.encode("utf-8"), hashlib.sha256).hexdigest()


def _json(status: int, message: str, kind: str, extra: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    body = json.dumps({"error": message, "kind": kind}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return [
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])},
        {"type": "http.response.body", "body": body},
    ]


class Guard:
    def __init__(self, app: ASGIApp, *, config: ServeConfig, session_key: bytes) -> None:
        self.app = app
        self.config = config
        self.session_key = session_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message))
            await send(message)

        limit = body_limit(path)
        refusal = self._refusal(scope, headers, path)
        declared = headers.get("content-length", "")
        if refusal is None and declared.isdigit() and int(declared) > limit:
            refusal = _json(413, f"request too large ({_mib(int(declared))}; the limit is {_mib(limit)})", "too_large")
        if refusal is not None:
            for message in refusal:
                await send_with_headers(message)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, counted_receive, send_started)
        except BodyTooLarge as exc:
            if started:
                raise
            for message in _json(413, f"request too large (more than {_mib(exc.limit)}, the limit)", "too_large"):
                await send_with_headers(message)

    def _refusal(self, scope: Scope, headers: Headers, path: str) -> list[Message] | None:
        """The response that refuses this request, or None to let it through."""
        host = headers.get("host", "")
        if self.config.loopback and not is_loopback(_hostname(host)):
            return _json(400, "this server answers only requests addressed to this machine "
                              "(Host: 127.0.0.1 or localhost)", "bad_host")
        if scope["method"] in _UNSAFE_METHODS and not _same_origin(headers, host):
            return _json(403, "refused: the request came from another site's page", "cross_site")
        if self.config.token is None or path.startswith(_OPEN_PATHS) or self.authorized(headers):
            return None
        wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "") and not (
            path.startswith("/api/") or path == "/openapi.json")
        if wants_page:
            raw_path = scope.get("raw_path") or path.encode("utf-8")  # as sent: percent-encoded
            query = scope["query_string"]
            target = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
            location = "/login?next=" + quote(target, safe="")
            return [
                {"type": "http.response.start", "status": 303,
                 "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]},
                {"type": "http.response.body", "body": b""},
            ]
        return _json(401, "a token is required: send 'Authorization: Bearer TOKEN'", "unauthorized",
                     [(b"www-authenticate", b'Bearer realm="chachong"')])

    def authorized(self, headers: Headers) -> bool:
        token = self.config.token
        if token is None:
            return True
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
            return True
        cookie = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        return cookie is not None and hmac.compare_digest(
            cookie.encode("latin-1", "replace"), session_value(self.session_key, token).encode("ascii"))


def _hostname(host: str) -> str:
    """The name in a Host header (port and IPv6 brackets removed); "" if it is malformed."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return ""


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _same_origin(headers: Headers, host: str) -> bool:
    """Whether a state-changing request may come from where it says it comes from.

    Browsers say whether a request comes from another site (``Sec-Fetch-Site``), and older ones
    name the page's origin (``Origin``); clients such as curl send neither and pass.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": typed by the user, not sent by a page
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == host


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def _secure(headers: MutableHeaders) -> None:
    """Headers every response carries; a route that set its own policy keeps it."""
    defaults: dict[str, Callable[[], str]] = {
        "content-security-policy": lambda: PAGE_CSP,
        "x-frame-options": lambda: "DENY",
        "cache-control": lambda: "no-store",
    }
    for name, value in defaults.items():
        if name not in headers:
            headers[name] = value()
    headers["x-content-type-options"] = "nosniff"
    # Our own pages send their address to us only: a result's address never leaves for another site.
    headers["referrer-policy"] = "same-origin"
    headers["cross-origin-opener-policy"] = "same-origin"
    headers["cross-origin-resource-policy"] = "same-origin"


def redirect_target(raw: Any) -> str:
    """Where the login page may send the browser afterwards: a path of this server only."""
    target = raw if isinstance(raw, str) else "/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
