"""Load generator for bench/faults.py: raw WebSocket clients that behave like the htmx page under faults.

Like bench/fanout_loadgen.py (one epoll loop, minimal RFC 6455 client, every text frame recorded with its
CLOCK_MONOTONIC time), plus what a browser does when things go wrong:

- a client the server closes (or whose TCP connection drops) reconnects after 0.5-1.5 s, as the page does,
  unless the close code says "you may no longer watch" (1008 or 4000-4999): those stay closed for good;
- `stall K SECONDS` on stdin stops K clients reading (and so answering pings) for that long, like a throttled
  background tab; afterwards they read what piled up, close frame included;
- `churn R` closes R clients a second from the client side and reconnects them (0 stops);
- `state` prints one JSON line: per client, the number of the last payload it got and whether it is open, and
  the payloads not yet printed; `stop` writes everything recorded to --out.

    python bench/faults_loadgen.py --port 5000 --path '/ws?channel=tournament:1:standings' --clients 500 --out r.json
"""
from __future__ import annotations

import argparse
import base64
import errno
import json
import os
import random
import select
import socket
import struct
import sys
import time

from fanout_loadgen import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, client_frame, raise_open_files_limit

OFFICIAL = b'<section id="standings-'  # the official standings fragment's root

CONNECT, HANDSHAKE, OPEN, WAITING, STOPPED = range(5)
NO_RECONNECT = {1008} | set(range(4000, 5000))


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class Client:
    __slots__ = ("buffer", "closes", "connects", "index", "last", "received", "reconnect_at", "sock", "stalled_until",
                 "state")

    def __init__(self, index: int) -> None:
        self.index = index
        self.sock: socket.socket | None = None
        self.state = WAITING
        self.buffer = b""
        self.received: list[tuple[float, int]] = []
        self.last = -1  # number of the last payload received
        self.reconnect_at = 0.0
        self.stalled_until = 0.0
        self.closes: list[tuple[float, str]] = []
        self.connects = 0


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.clients = [Client(i) for i in range(args.clients)]
        self.by_fd: dict[int, Client] = {}
        self.epoll = select.epoll()
        self.payloads: dict[bytes, int] = {}
        self.printed = 0
        self.churn = 0.0
        self.request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
                        "User-Agent: chessweb-faults\r\n\r\n")

    # ----------------------------------------------------------------- connections

    def connect(self, client: Client) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        err = sock.connect_ex((self.args.host, self.args.port))
        client.connects += 1
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            self.closed(client, f"connect: {os.strerror(err)}")
            return
        client.sock, client.state, client.buffer = sock, CONNECT, b""
        self.by_fd[sock.fileno()] = client
        self.epoll.register(sock.fileno(), select.EPOLLOUT)

    def closed(self, client: Client, reason: str, code: int | None = None) -> None:
        """The connection is gone: reconnect later, or never for a revocation code."""
        self.drop_socket(client)
        client.closes.append((now(), reason))
        if code in NO_RECONNECT:
            client.state = STOPPED
        else:
            client.state = WAITING
            client.reconnect_at = now() + 0.5 + random.random()

    def drop_socket(self, client: Client) -> None:
        if client.sock is not None:
            self.by_fd.pop(client.sock.fileno(), None)
            try:
                self.epoll.unregister(client.sock.fileno())
            except (OSError, ValueError):
                pass
            client.sock.close()
            client.sock = None

    def on_event(self, client: Client) -> None:
        sock = client.sock
        assert sock is not None
        if client.state == CONNECT:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.closed(client, f"connect: {os.strerror(err)}")
                return
            sock.send(self.request.format(key=base64.b64encode(os.urandom(16)).decode()).encode())
            client.state = HANDSHAKE
            self.epoll.modify(sock.fileno(), select.EPOLLIN)
            return
        try:
            data = sock.recv(262144)
        except BlockingIOError:
            return
        except OSError as exc:
            self.closed(client, f"recv: {exc}")
            return
        at = now()
        if not data:
            self.closed(client, "tcp closed without a close frame")
            return
        if client.state == HANDSHAKE:
            data = client.buffer + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                client.buffer = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                self.closed(client, "handshake: " + data[:data.find(b"\r\n")].decode(errors="replace"))
                return
            client.buffer, client.state = b"", OPEN
            data = data[end + 4:]
        self.on_data(client, data, at)

    def on_data(self, client: Client, data: bytes, at: float) -> None:
        buf = client.buffer + data if client.buffer else data
        pos, size = 0, len(buf)
        while size - pos >= 2:
            opcode, length, start = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2:pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2:pos + 10], "big"), pos + 10
            if start + length > size:
                break
            payload = buf[start:start + length]
            pos = start + length
            # The standings channel also carries the provisional standings and the crosstable: only the
            # official table's frame is the state the bench compares with the database.
            if opcode == OP_TEXT and OFFICIAL in payload:
                number = self.payloads.setdefault(payload, len(self.payloads))
                client.received.append((at, number))
                client.last = number
            elif opcode == OP_PING:
                self.send(client, client_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.closed(client, f"close {code}", code)
                return
            if client.sock is None:
                return
        client.buffer = buf[pos:]

    def send(self, client: Client, frame: bytes) -> None:
        try:
            assert client.sock is not None
            client.sock.send(frame)
        except OSError as exc:
            self.closed(client, f"send: {exc}")

    # ----------------------------------------------------------------- commands

    def stall(self, count: int, seconds: float) -> None:
        until = now() + seconds
        for client in [c for c in self.clients if c.state == OPEN][:count]:
            client.stalled_until = until
            assert client.sock is not None
            self.epoll.unregister(client.sock.fileno())

    def wake_stalled(self) -> None:
        t = now()
        for client in self.clients:
            if client.stalled_until and client.stalled_until <= t:
                client.stalled_until = 0.0
                if client.sock is not None:
                    self.epoll.register(client.sock.fileno(), select.EPOLLIN)

    def state_line(self) -> str:
        names = sorted(self.payloads, key=self.payloads.__getitem__)[self.printed:]
        self.printed += len(names)
        return json.dumps({"last": [c.last for c in self.clients],
                           "open": [c.state == OPEN and not c.stalled_until for c in self.clients],
                           "stopped": sum(c.state == STOPPED for c in self.clients),
                           "new_payloads": [p.decode("utf-8", errors="replace") for p in names]})

    def command(self, line: str) -> bool:
        words = line.split()
        if not words or words[0] == "stop":
            return False
        if words[0] == "stall":
            self.stall(int(words[1]), float(words[2]))
        elif words[0] == "churn":
            self.churn = float(words[1])
        elif words[0] == "state":
            print(self.state_line(), flush=True)
        return True

    # ----------------------------------------------------------------- the loop

    def run(self) -> None:
        stdin = sys.stdin.fileno()
        self.epoll.register(stdin, select.EPOLLIN)
        started = now()
        next_churn = started + 1.0
        pending = ""
        for i, client in enumerate(self.clients):  # spread the first connects out: no thundering herd
            client.reconnect_at = started + i / self.args.connect_rate
        while True:
            t = now()
            for client in self.clients:
                if client.state == WAITING and client.reconnect_at <= t:
                    self.connect(client)
            self.wake_stalled()
            if self.churn and t >= next_churn:
                next_churn = t + 1.0
                open_clients = [c for c in self.clients if c.state == OPEN and not c.stalled_until]
                for client in random.sample(open_clients, min(len(open_clients), int(self.churn))):
                    self.drop_socket(client)
                    client.state, client.reconnect_at = WAITING, t
            for fd, _ in self.epoll.poll(0.05):
                if fd == stdin:
                    # Raw reads: commands sent together ("churn 0", "stop") must not wait in a buffer epoll
                    # cannot see.
                    chunk = os.read(stdin, 65536)
                    pending += chunk.decode()
                    while "\n" in pending or not chunk:
                        line, _, pending = pending.partition("\n")
                        if not self.command(line):
                            return
                        if not chunk and not pending:
                            return
                    continue
                client = self.by_fd.get(fd)
                if client is not None and client.sock is not None:
                    self.on_event(client)

    def dump(self) -> dict[str, object]:
        names = sorted(self.payloads, key=self.payloads.__getitem__)
        return {"payloads": [p.decode("utf-8", errors="replace") for p in names],
                "clients": [c.received for c in self.clients], "closes": [c.closes for c in self.clients],
                "connects": [c.connects for c in self.clients]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--connect-rate", type=float, default=200.0, help="first connects per second")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only connects to this machine")
    if args.clients + 50 > raise_open_files_limit():
        parser.error("not enough open files for that many clients")
    generator = Generator(args)
    try:
        generator.run()
    finally:
        for client in generator.clients:
            generator.drop_socket(client)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(generator.dump(), out)
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main()
