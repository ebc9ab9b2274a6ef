"""Slow request bodies against real gunicorn (the gevent worker of gunicorn.conf.py), over real sockets.

Case slow-body-connection-exhaustion: once the headers were complete, a body trickled a byte every few seconds
was waited for indefinitely, and 12,000 of them from one address took the worker off the air.
"""
from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

from ..processes import AppProcess

pytestmark = pytest.mark.slow

BODY_TIMEOUT = 2
PER_ADDRESS = 4


def slow_post(port: int, declared: int = 100_000) -> socket.socket:
    """A login POST whose headers are complete and whose body has only begun."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {declared}\r\n\r\na".encode())
    return sock


def trickle_until_answered(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """Send a byte every 0.3 s, as the attacker does, until the server answers or `seconds` pass."""
    sock.settimeout(0.3)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            sock.send(b"a")
        except OSError:
            pass
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return b"", time.monotonic() - started
        return answer, time.monotonic() - started
    return b"", time.monotonic() - started


def healthz(url: str) -> int:
    with urlopen(f"{url}/healthz", timeout=5) as response:
        return response.status


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess("slowbody", {
        "DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex, "CHESSWEB_ENV": "production",
        "CHESSWEB_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "CHESSWEB_REQUEST_BODIES_PER_ADDRESS": str(PER_ADDRESS)}, tmp_path)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def test_a_trickled_body_is_answered_408_and_the_connection_closed(server):
    with slow_post(server.port) as sock:
        answer, waited = trickle_until_answered(sock, 6 * BODY_TIMEOUT)
        assert answer.startswith(b"HTTP/1.1 408"), (answer, waited, server.tail())
        assert waited < 3 * BODY_TIMEOUT
        sock.settimeout(5)
        try:
            while sock.recv(4096):  # the server closes its side: the rest of the body is not read as a request
                pass
        except ConnectionResetError:  # closed while our bytes were still coming: closed all the same
            pass
    assert healthz(server.url) == 200


def test_a_trickled_chunked_body_is_answered_408_too(server):
    """No Content-Length to wait for: a chunked body that never ends is bounded by the same deadline."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\n1000\r\na".encode())
        answer, waited = trickle_until_answered(sock, 6 * BODY_TIMEOUT)
    assert answer.startswith(b"HTTP/1.1 408"), (answer, waited, server.tail())


def test_one_address_cannot_hold_more_bodies_than_its_share(server):
    held = [slow_post(server.port) for _ in range(PER_ADDRESS)]
    try:
        time.sleep(0.5)  # the worker has started reading each of them
        with slow_post(server.port) as extra:
            extra.settimeout(5)
            assert extra.recv(4096).startswith(b"HTTP/1.1 429")
        assert healthz(server.url) == 200  # plain requests, without a body, are still served
    finally:
        for sock in held:
            sock.close()


def test_a_normal_form_post_still_works(server):
    body = b"email=a%40example.org&password=x"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                     .encode() + body)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")  # the form's own answer (no CSRF token), not a timeout
