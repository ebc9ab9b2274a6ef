"""A pytest plugin: every JSON frame a test reads off /ws is checked against the published schema.

The schema is the checked-in docs/api-schema.json (tests/api/test_contracts.py keeps it equal to what the
server generates and serves). Frames of the real app must match `ServerMessage`; the live core's own tests
run a chess-free test app, so tests/realtime/ ask for `RealtimeServerMessage` (override `socket_frame_schema`).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from websockets.sync.connection import Connection

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "api-schema.json"
CHECKED: list[int] = [0]  # frames checked in this session, so a test can tell the check ran


@lru_cache(maxsize=None)
def validator(definition: str) -> Draft202012Validator:
    """A validator for one `$defs` entry of the published document."""
    document = json.loads(SCHEMA_FILE.read_text())
    return Draft202012Validator({"$defs": document["$defs"], "$ref": f"#/$defs/{definition}"})


def check_frame(frame: Any, definition: str) -> None:
    """Raise AssertionError naming the frame and the first violation when `frame` breaks the contract."""
    message = json.loads(frame)
    errors = sorted(validator(definition).iter_errors(message), key=lambda e: list(e.absolute_path))
    assert not errors, f"/ws frame breaks #/$defs/{definition}: {errors[0].message} at " \
                       f"{list(errors[0].absolute_path)}; frame: {str(frame)[:500]}"
    CHECKED[0] += 1


@pytest.fixture
def socket_frame_schema() -> str:
    """Which definition a JSON frame must match in this test."""
    return "ServerMessage"


@pytest.fixture(autouse=True)
def checked_socket_frames(monkeypatch: pytest.MonkeyPatch, socket_frame_schema: str) -> Iterator[None]:
    """Wrap the test client's `recv` so each text frame of a `format=json` connection is checked."""
    original = Connection.recv

    def recv(self: Connection, *args: Any, **kwargs: Any) -> Any:
        frame = original(self, *args, **kwargs)
        request = getattr(self, "request", None)
        if isinstance(frame, str) and request is not None and "format=json" in request.path:
            check_frame(frame, socket_frame_schema)
        return frame

    monkeypatch.setattr(Connection, "recv", recv)
    yield
