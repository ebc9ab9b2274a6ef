"""Request bodies arrive in time, and one address cannot hold many half-sent bodies (case
slow-body-connection-exhaustion, the R.U.D.Y. attack).

gunicorn bounds how long the request line and headers may take, but then waits for a declared body for as long
as the client trickles it: 12,000 bodies sent a byte every few seconds filled a gevent worker's connections
and took it off the air. This middleware reads the whole body before the app sees the request:

- within REQUEST_BODY_TIMEOUT_SECONDS in total (not per read) under gevent, else 408 Request Timeout (RFC 9110, 15.5.9)
  and the connection is closed;
- at most REQUEST_BODIES_PER_ADDRESS bodies being received at once from one client address, else 429
  (RFC 6585, section 4). Bodies from real browsers arrive in milliseconds, so even a tournament hall behind
  one address never comes near the cap; GETs and WebSockets, which have no body, are not counted.

Production still belongs behind a buffering reverse proxy (docs/deploy/nginx.conf), which receives slow
bodies itself and caps connections per address; this is the app's own line when it is reached directly.
"""
from __future__ import annotations

import io
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from .realtime.reader import gevent_patched

CHUNK = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyTooSlow(Exception):
    """The client did not send its declared body within the deadline."""


class BodyDeadline:
    """WSGI middleware: buffer each request body under a total deadline and a per-address cap (see module)."""

    def __init__(self, app: WSGIApp, *, timeout: float, per_address: int, max_length: int | None) -> None:
        self.app = app
        self.timeout = timeout
        self.per_address = per_address
        self.max_length = max_length
        self.receiving: Counter[str] = Counter()  # address -> bodies being received now (one process)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = _declared_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not (length or chunked) or (self.max_length is not None and (length or 0) > self.max_length):
            return self.app(environ, start_response)  # nothing to wait for, or Flask answers 413 unread
        address = environ.get("REMOTE_ADDR") or ""
        if self.receiving[address] >= self.per_address:
            return _refuse(start_response, "429 Too Many Requests",
                           "Too many requests from your address are sending data at once; try again shortly.")
        self.receiving[address] += 1
        try:
            body = self._read(environ, length)
        except BodyTooSlow:
            return _refuse(start_response, "408 Request Timeout",
                           "The request body did not arrive in time; nothing was changed.", close=environ)
        finally:
            self.receiving[address] -= 1
            if not self.receiving[address]:
                del self.receiving[address]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    def _read(self, environ: dict[str, Any], length: int | None) -> bytes:
        """The body (at most max_length + 1 bytes, so Flask still sees an oversized chunked body as too large)."""
        stream = environ["wsgi.input"]
        limit = length if length is not None else (self.max_length + 1 if self.max_length is not None else None)
        parts: list[bytes] = []
        received = 0
        with _deadline(self.timeout, environ.get("gunicorn.socket")):
            while limit is None or received < limit:
                data = stream.read(min(CHUNK, limit - received) if limit is not None else CHUNK)
                if not data:
                    break
                parts.append(data)
                received += len(data)
        return b"".join(parts)


@contextmanager
def _deadline(seconds: float, sock: socket.socket | None) -> Iterator[None]:
    """Raise BodyTooSlow when the block takes longer than `seconds` in total.

    Under gevent (gunicorn's worker) a gevent.Timeout interrupts the read wherever it waits: the server's body
    reader loops over many small recv() calls, so a timeout per recv() would never fire for a byte every few
    seconds. Elsewhere the socket's own timeout bounds each wait (a thread per request, so the cap matters less).
    """
    if gevent_patched("socket"):
        import gevent
        timeout = gevent.Timeout(seconds, BodyTooSlow)
        timeout.start()
        try:
            yield
        finally:
            timeout.close()
        return
    prior = sock.gettimeout() if sock is not None else None
    try:
        if sock is not None:
            sock.settimeout(seconds)
        yield
    except (socket.timeout, TimeoutError):
        raise BodyTooSlow from None
    finally:
        if sock is not None:
            try:
                sock.settimeout(prior)
            except OSError:
                pass


def _declared_length(environ: dict[str, Any]) -> int | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return length if length > 0 else None


def _refuse(start_response: Callable[..., Any], status: str, message: str,
            close: dict[str, Any] | None = None) -> list[bytes]:
    """A short plain-text refusal. With `close` (the environ), the connection is shut for reading: the rest of
    a half-sent body must not be taken for the next request, nor waited for."""
    if close is not None and close.get("gunicorn.socket") is not None:
        try:
            close["gunicorn.socket"].shutdown(socket.SHUT_RD)
        except OSError:
            pass
    body = message.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            ("Connection", "close"), ("Retry-After", "5")])
    return [body]


def install(app: Flask) -> None:
    """Wrap app.wsgi_app; call before ProxyFix wraps it, so the cap counts the client's address."""
    app.wsgi_app = BodyDeadline(  # type: ignore[method-assign]
        app.wsgi_app, timeout=float(app.config["REQUEST_BODY_TIMEOUT_SECONDS"]),
        per_address=int(app.config["REQUEST_BODIES_PER_ADDRESS"]), max_length=app.config.get("MAX_CONTENT_LENGTH"))
