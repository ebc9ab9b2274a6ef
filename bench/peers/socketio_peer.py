"""The peer bench/fanout.py measures us against: a minimal Flask-SocketIO app on gevent.

Every client joins one room on connect; `POST /publish` (form field `seq`) emits the same fragment that
ChessWeb pushes for its standings (read once from the file named by PEER_FRAGMENT_FILE), tagged with
`data-seq` so the load generator can tell which post it reflects. No database, no rendering: the
fan-out alone, written the way a Flask-SocketIO app usually writes it (emit to a room in the view).
With PEER_REDIS_URL set (several gunicorn workers), emits go through Redis to every worker: Flask-SocketIO's
own message queue.

    PEER_FRAGMENT_FILE=standings.html gunicorn -k gevent -w 1 --chdir bench/peers socketio_peer:app
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, request
from flask_socketio import SocketIO, join_room

ROOM = "standings"
FRAGMENT = Path(os.environ["PEER_FRAGMENT_FILE"]).read_text(encoding="utf-8")

app = Flask(__name__)
# Without gevent-websocket installed, python-engineio serves WebSockets with simple-websocket, as flask-sock does.
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins=[],
                    message_queue=os.environ.get("PEER_REDIS_URL") or None)


def tagged(seq: int) -> str:
    """The fragment with a marker naming the post it answers (same size as ours, plus a few bytes)."""
    return FRAGMENT.replace(' hx-swap-oob="true"', f' hx-swap-oob="true" data-seq="{seq}"', 1)


@socketio.on("connect")
def joined() -> None:
    """Every client watches the one standings table."""
    join_room(ROOM)


@app.post("/publish")
def publish() -> tuple[str, int]:
    """Emit the fragment to every client in the room."""
    socketio.emit("fragment", tagged(int(request.form["seq"])), to=ROOM)
    return "", 204


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Ready to serve."""
    return {"status": "ok"}
