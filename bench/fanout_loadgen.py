"""Load generator for bench/fanout.py: thousands of raw WebSocket clients in one process, one epoll loop.

Each client does a minimal RFC 6455 handshake, answers pings and, for the Socket.IO peer, speaks just enough
Engine.IO v4 (`40` to join, `3` for every `2`). With --deflate it offers permessage-deflate as browsers do
(RFC 7692), asking for no context takeover either way, so every message is a deflate stream of its own and
identical messages arrive as identical bytes: each distinct compressed payload is inflated once per process.
Every text message received after connecting is recorded as (CLOCK_MONOTONIC time, payload number): the clock
is shared by every process on the host, so the orchestrator compares it with the time it sent each result.
Identical payloads get the same number and are stored once, with the bytes they took on the wire, so the
orchestrator can read what they say and count what a viewer received.

Protocol with the orchestrator: one JSON line on stdout when every client is connected (or failed);
then it waits for `stop` on stdin, writes everything it recorded to --out and prints one more line.

    python bench/fanout_loadgen.py --port 5000 --path '/ws?channel=tournament:1:standings' --clients 5000 \
        --protocol chessweb --out recv.json
"""
from __future__ import annotations

import argparse
import base64
import errno
import json
import os
import resource
import select
import socket
import struct
import sys
import time
import zlib

CONNECT, HANDSHAKE, OPEN, READY, CLOSED = range(5)
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h; not exported by Python's socket module
RSV1 = 0x40  # "this message is compressed" (RFC 7692 §6)
DEFLATE_OFFER = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def raise_open_files_limit() -> int:
    """Up to the hard limit: every client is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked, unfragmented client frame (clients must mask, RFC 6455 §5.3)."""
    mask = os.urandom(4)
    length = len(payload)
    header = struct.pack("!BB", 0x80 | opcode, 0x80 | length) if length < 126 else \
        struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + masked


class Client:
    __slots__ = ("buffer", "index", "received", "sock", "state")

    def __init__(self, index: int) -> None:
        self.sock: socket.socket | None = None
        self.index = index
        self.state = CONNECT
        self.buffer = b""
        self.received: list[tuple[float, int]] = []


class LoadGenerator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.host, self.port, self.path, self.source = args.host, args.port, args.path, args.source
        self.socketio = args.protocol == "socketio"
        self.clients = [Client(i) for i in range(args.clients)]
        self.by_fd: dict[int, Client] = {}
        self.epoll = select.epoll()
        self.payloads: dict[bytes, int] = {}
        self.concurrency = args.concurrency
        self.failures: list[str] = []
        self.closed_by_server = 0
        self.wire_sizes: dict[int, int] = {}  # payload number -> bytes on the wire (frame header included)
        self.inflated: dict[bytes, bytes] = {}  # compressed payload -> the message it carries
        extensions = f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if args.deflate else ""
        self.request = (f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
                        f"{extensions}User-Agent: chessweb-bench\r\n\r\n")

    # ----------------------------------------------------------------- connecting

    def start_connect(self, client: Client) -> bool:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.source:
            # Loopback has one ephemeral port range (28,000 ports here) per source and destination address:
            # beyond it, clients come from another 127.x address; the port is picked at connect.
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((self.source, 0))
        # Closing with RST at the end leaves no TIME_WAIT behind: the next run needs the ports again.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        err = sock.connect_ex((self.host, self.port))
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            self.fail(client, f"connect: {os.strerror(err)}")
            return False
        client.sock = sock
        self.by_fd[sock.fileno()] = client
        self.epoll.register(sock.fileno(), select.EPOLLOUT)
        return True

    def connect_all(self, timeout: float) -> float:
        """Open every client, at most `concurrency` handshakes in flight; returns the seconds it took."""
        started = now()
        waiting = list(reversed(self.clients))
        in_flight = 0
        deadline = started + timeout
        while (waiting or in_flight) and now() < deadline:
            while waiting and in_flight < self.concurrency:
                in_flight += self.start_connect(waiting.pop())
            for fd, events in self.epoll.poll(0.5):
                client = self.by_fd.get(fd)
                if client is None:
                    continue
                before = client.state
                self.on_event(client, events)
                if before < READY and client.state >= READY:  # READY or CLOSED: no longer in flight
                    in_flight -= 1
        for client in self.clients:
            if client.state < READY:
                self.fail(client, "not connected in time")
        return now() - started

    def on_event(self, client: Client, events: int) -> None:
        sock = client.sock
        assert sock is not None
        if client.state == CONNECT:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.fail(client, f"connect: {os.strerror(err)}")
                return
            key = base64.b64encode(os.urandom(16)).decode()
            sock.send(self.request.format(key=key).encode())
            client.state = HANDSHAKE
            self.epoll.modify(sock.fileno(), select.EPOLLIN)
            return
        try:
            data = sock.recv(262144)
        except BlockingIOError:
            return
        except OSError as exc:
            self.fail(client, f"recv: {exc}")
            return
        at = now()
        if not data:
            if client.state >= READY:
                self.closed_by_server += 1
            self.fail(client, "closed by the server")
            return
        if client.state == HANDSHAKE:
            data = client.buffer + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                client.buffer = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                self.fail(client, "handshake: " + data[:data.find(b"\r\n")].decode(errors="replace"))
                return
            client.buffer = b""
            client.state = OPEN
            data = data[end + 4:]
            if not data:
                return
        self.on_data(client, data, at)

    # ----------------------------------------------------------------- frames

    def on_data(self, client: Client, data: bytes, at: float) -> None:
        buf = client.buffer + data if client.buffer else data
        pos, size = 0, len(buf)
        while size - pos >= 2:
            first = buf[pos]
            opcode = first & 0x0F
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > size:
                break
            payload = buf[start:end]
            if first & RSV1:
                payload = self.inflate(payload)
            self.on_frame(client, opcode, payload, at, end - pos)  # servers here never fragment a message
            pos = end
            if client.state == CLOSED:
                return
        client.buffer = buf[pos:] if pos < size else b""

    def inflate(self, compressed: bytes) -> bytes:
        """A compressed message's text (RFC 7692 §7.2.2), inflated once per distinct payload."""
        text = self.inflated.get(compressed)
        if text is None:
            text = self.inflated[compressed] = zlib.decompressobj(-15).decompress(compressed + b"\x00\x00\xff\xff")
        return text

    def on_frame(self, client: Client, opcode: int, payload: bytes, at: float, wire: int) -> None:
        if opcode == OP_TEXT:
            if self.socketio:
                self.on_engineio(client, payload, at, wire)
            else:
                self.record(client, payload, at, wire)  # the first one is the snapshot: subscribed from then on
                client.state = READY
        elif opcode == OP_PING:
            self.send(client, client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.closed_by_server += client.state >= READY
            self.fail(client, f"close frame {payload[:2].hex()}")

    def on_engineio(self, client: Client, payload: bytes, at: float, wire: int) -> None:
        kind = payload[:1]
        if kind == b"4" and payload[1:2] == b"2":  # a Socket.IO event
            self.record(client, payload, at, wire)
        elif kind == b"2":  # Engine.IO ping
            self.send(client, client_frame(OP_TEXT, b"3"))
        elif kind == b"0":  # Engine.IO open: join the default namespace
            self.send(client, client_frame(OP_TEXT, b"40"))
        elif payload[:2] == b"40":  # namespace joined (the room is joined in the peer's connect handler)
            client.state = READY

    def record(self, client: Client, payload: bytes, at: float, wire: int) -> None:
        number = self.payloads.get(payload)
        if number is None:
            number = self.payloads[payload] = len(self.payloads)
            self.wire_sizes[number] = wire
        client.received.append((at, number))

    def send(self, client: Client, frame: bytes) -> None:
        try:
            assert client.sock is not None
            client.sock.send(frame)  # a few bytes into an empty send buffer
        except OSError as exc:
            self.fail(client, f"send: {exc}")

    def fail(self, client: Client, reason: str) -> None:
        if client.state == CLOSED:
            return
        self.failures.append(reason)
        client.state = CLOSED
        if client.sock is not None:
            self.by_fd.pop(client.sock.fileno(), None)
            try:
                self.epoll.unregister(client.sock.fileno())
            except (OSError, ValueError):
                pass
            client.sock.close()
            client.sock = None

    # ----------------------------------------------------------------- receiving

    def serve(self) -> None:
        """Read every socket until `stop` arrives on stdin."""
        stdin = sys.stdin.fileno()
        self.epoll.register(stdin, select.EPOLLIN)
        while True:
            for fd, events in self.epoll.poll(1.0):
                if fd == stdin:
                    line = sys.stdin.readline()
                    if not line or line.strip() == "stop":
                        return
                    continue
                client = self.by_fd.get(fd)
                if client is not None:
                    self.on_event(client, events)

    def close_all(self) -> None:
        for client in self.clients:
            if client.sock is not None:
                client.sock.close()
                client.sock = None

    def dump(self) -> dict[str, object]:
        names = sorted(self.payloads, key=self.payloads.__getitem__)
        return {"payloads": [p.decode("utf-8", errors="replace") for p in names],
                "wire_sizes": [self.wire_sizes[self.payloads[p]] for p in names],
                "clients": [c.received for c in self.clients], "failures": self.failures[:20],
                "failed": len(self.failures), "closed_by_server": self.closed_by_server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--protocol", choices=("chessweb", "socketio"), required=True)
    parser.add_argument("--source", default="", help="the clients' source address (127.x.y.z; default: any)")
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate, as browsers do")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1") or (args.source and not args.source.startswith("127.")):
        parser.error("the load generator only connects to this machine, from loopback addresses")
    limit = raise_open_files_limit()
    if args.clients + 50 > limit:
        parser.error(f"{args.clients} clients need more than the open-files limit of {limit}")
    generator = LoadGenerator(args)
    seconds = generator.connect_all(args.connect_timeout)
    ready = sum(1 for c in generator.clients if c.state == READY)
    print(json.dumps({"ready": ready, "failed": args.clients - ready, "connect_seconds": seconds,
                      "failures": generator.failures[:5]}), flush=True)
    try:
        generator.serve()
    finally:
        generator.close_all()
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(generator.dump(), out)
    print(json.dumps({"done": True}), flush=True)


if __name__ == "__main__":
    main()
