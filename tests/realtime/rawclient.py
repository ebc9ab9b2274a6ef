"""A deliberately bad WebSocket client on a plain TCP socket: it completes the handshake and then does
only what a test tells it to (typically: never read, never answer a ping)."""
from __future__ import annotations

import base64
import os
import socket

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import CloseConnection, Event


def open_raw(port: int, path: str, *, receive_buffer: int = 4096) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive window makes the server's writes back up sooner.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "server closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_until_closed(sock: socket.socket, timeout: float = 10) -> list[Event]:
    """Read everything the server sends until it ends the TCP connection; the frames as wsproto events."""
    sock.settimeout(timeout)
    parser = Connection(ConnectionType.CLIENT)
    events: list[Event] = []
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            break
        if not chunk:
            break
        parser.receive_data(chunk)
        try:
            events.extend(parser.events())
        except Exception:  # noqa: BLE001 - a frame cut off by an abort; what came before it counts
            break
        if any(isinstance(e, CloseConnection) for e in events):
            pass  # keep reading: the server closes the TCP connection after its close frame
    sock.close()
    return events
