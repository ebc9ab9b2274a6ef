"""The asyncio reference bench/fanout.py measures us against: the `websockets` library's own broadcast.

Each client gets a short `ready` message on connect (the load generator counts a client as watching from its
first message); `GET /publish?seq=N` broadcasts the fragment ChessWeb pushes for its standings (read once from
the file named by PEER_FRAGMENT_FILE), tagged with `data-seq`, to every client with `websockets.broadcast`.
No database, no rendering, no framework: the floor of what an asyncio server pays for the same fan-out.

With `--processes W` (W > 1), W processes share the port (SO_REUSEPORT) and a publish goes through Redis
pub/sub (REDIS_URL) to all of them, as the other two servers do across workers.

    PEER_FRAGMENT_FILE=standings.html python bench/peers/websockets_peer.py --port 8000 [--processes 4]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

FRAGMENT = Path(os.environ["PEER_FRAGMENT_FILE"]).read_text(encoding="utf-8")
CHANNEL = "websockets-peer"
CLIENTS: set[ServerConnection] = set()


def tagged(seq: int) -> str:
    """The fragment with a marker naming the post it answers (as the Flask-SocketIO peer tags it)."""
    return FRAGMENT.replace(' hx-swap-oob="true"', f' hx-swap-oob="true" data-seq="{seq}"', 1)


async def watch(ws: ServerConnection) -> None:
    """One client: registered until it leaves."""
    CLIENTS.add(ws)
    try:
        await ws.send("ready")
        await ws.wait_closed()
    finally:
        CLIENTS.discard(ws)


async def serve_forever(port: int, redis_url: str) -> None:
    publisher: Any = None
    if redis_url:
        import redis.asyncio as redis
        publisher = redis.from_url(redis_url)
        pubsub = publisher.pubsub()
        await pubsub.subscribe(CHANNEL)

        async def relay() -> None:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    broadcast(CLIENTS, tagged(int(message["data"])))
        asyncio.get_running_loop().create_task(relay())

    def process_request(connection: ServerConnection, request: Any) -> Any:
        url = urlsplit(request.path)
        if url.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if url.path == "/publish":
            seq = int(parse_qs(url.query)["seq"][0])
            if publisher is not None:
                asyncio.get_running_loop().create_task(publisher.publish(CHANNEL, seq))
            else:
                broadcast(CLIENTS, tagged(seq))
            return connection.respond(HTTPStatus.NO_CONTENT, "")
        return None

    async with serve(watch, "127.0.0.1", port, process_request=process_request, reuse_port=True,
                     ping_interval=None, max_queue=16):
        stop = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "") if args.processes > 1 else ""
    if args.processes > 1 and not redis_url:
        parser.error("several processes need REDIS_URL")
    children = []
    for _ in range(args.processes):  # the parent only supervises, as gunicorn's master does
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve_forever(args.port, redis_url))
            os._exit(0)
        children.append(pid)
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(pid, signal.SIGTERM) for pid in children])
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
    sys.exit(0)


if __name__ == "__main__":
    main()
