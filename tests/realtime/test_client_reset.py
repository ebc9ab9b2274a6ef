"""A client that resets its TCP connection in the middle of the WebSocket handshake (a phone losing signal,
a load balancer giving up) is not a server error: one info line, no traceback, not counted as a 5xx, and
the next client is served as usual."""
from __future__ import annotations

import logging
import socket
import struct
import time

from websockets.sync.client import connect

from chessweb.monitoring import samples

from ..conftest import hearing
from .conftest import WAIT, recv_until

UPGRADE = (b"GET /ws?channel=tournaments:all HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def test_a_reset_during_the_handshake_is_one_info_line_and_no_5xx(app, live_server, caplog):
    with hearing(app.logger, caplog):
        caplog.set_level(logging.INFO, logger=app.logger.name)
        errors_before = samples.process_sample(app)["errors5xx"]
        host, port = live_server.url.split("//", 1)[1].rsplit(":", 1)
        for _ in range(5):
            client = socket.create_connection((host, int(port)))
            client.sendall(UPGRADE)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
            client.close()
        deadline = time.monotonic() + WAIT
        while sum("Client closed the connection during GET /ws" in r.getMessage() for r in caplog.records) < 5:
            assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
            time.sleep(0.05)
        assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"], \
            "a client's reset is not our error"
        assert samples.process_sample(app)["errors5xx"] == errors_before

        with connect(f"{live_server.ws_url}/ws?channel=tournaments:all&format=json", open_timeout=WAIT,
                     compression=None) as ws:
            recv_until(ws, lambda m: m["type"] == "subscribed")
