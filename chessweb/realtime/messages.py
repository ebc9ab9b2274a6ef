"""What the live core carries: fragments (versioned state) and events (not state), and their wire form."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class MessageError(ValueError):
    """A message that cannot be published or was received malformed; the text says which field."""


@dataclass(frozen=True, slots=True)
class Fragment:
    """The newest version of one DOM element; newer versions replace older ones everywhere."""
    channel: str
    key: str  # DOM id of the fragment's root element
    version: int  # revision read in the same snapshot as the data; newer wins
    html: str  # root element has id=key and hx-swap-oob="true"
    data: dict[str, Any] | None = None  # the same state for JSON clients
    event_id: int | None = None  # RealtimeEvent row credited with delivery counts

    def __post_init__(self) -> None:
        _check_text("channel", self.channel)
        _check_text("key", self.key)
        if type(self.version) is not int or self.version < 0:
            raise MessageError(f"Fragment.version must be a non-negative int, got {self.version!r}")
        if not isinstance(self.html, str):
            raise MessageError(f"Fragment.html must be str, got {type(self.html).__name__}")
        _check_optional_dict("data", self.data)
        _check_event_id(self.event_id)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened (a toast, a notification): not cached, not versioned, never coalesced."""
    channel: str
    type: str
    data: dict[str, Any]
    html: str | None = None  # what html clients get; None: they get nothing
    roles: tuple[str, ...] | None = None  # deliver only to users with one of these roles
    event_id: int | None = None

    def __post_init__(self) -> None:
        _check_text("channel", self.channel)
        _check_text("type", self.type)
        _check_optional_dict("data", self.data)
        if self.data is None:
            raise MessageError("Event.data must be a dict, got None")
        if self.html is not None and not isinstance(self.html, str):
            raise MessageError(f"Event.html must be str or None, got {type(self.html).__name__}")
        if self.roles is not None:
            if isinstance(self.roles, str) or not all(isinstance(r, str) for r in self.roles):
                raise MessageError(f"Event.roles must be a tuple of role names, got {self.roles!r}")
            object.__setattr__(self, "roles", tuple(self.roles))
        _check_event_id(self.event_id)


@dataclass(frozen=True, slots=True)
class Recheck:
    """Access to these channels may have been withdrawn (a tournament went private): every process asks
    `authorize` again for each of its subscribers, and closes the connections now refused."""
    channels: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.channels, str) or not self.channels:
            raise MessageError(f"Recheck.channels must be a non-empty tuple of channels, got {self.channels!r}")
        for channel in self.channels:
            _check_text("channel", channel)
        object.__setattr__(self, "channels", tuple(self.channels))


Message = Fragment | Event | Recheck


def _check_text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise MessageError(f"{field} must be a non-empty string, got {value!r}")


def _check_optional_dict(field: str, value: object) -> None:
    if value is not None and not isinstance(value, dict):
        raise MessageError(f"{field} must be a dict, got {type(value).__name__}")


def _check_event_id(value: object) -> None:
    if value is not None and type(value) is not int:
        raise MessageError(f"event_id must be an int or None, got {value!r}")


def to_body(message: Message) -> dict[str, Any]:
    """A message as plain JSON-able data (`from_body` reverses it); raises MessageError for another type."""
    if isinstance(message, Fragment):
        return {"kind": "fragment", "channel": message.channel, "key": message.key, "version": message.version,
                "html": message.html, "data": message.data, "event_id": message.event_id}
    if isinstance(message, Event):
        return {"kind": "event", "channel": message.channel, "type": message.type, "data": message.data,
                "html": message.html, "roles": list(message.roles) if message.roles is not None else None,
                "event_id": message.event_id}
    if isinstance(message, Recheck):
        return {"kind": "recheck", "channels": list(message.channels)}
    raise MessageError(f"cannot publish {type(message).__name__}: expected Fragment, Event or Recheck")


def from_body(body: dict[str, Any]) -> Message:
    """The message `to_body` gave `body` for; raises MessageError for a malformed one."""
    try:
        kind = body["kind"]
        if kind == "fragment":
            return Fragment(channel=body["channel"], key=body["key"], version=body["version"],
                            html=body["html"], data=body["data"], event_id=body["event_id"])
        if kind == "event":
            roles = body["roles"]
            return Event(channel=body["channel"], type=body["type"], data=body["data"], html=body["html"],
                         roles=tuple(roles) if roles is not None else None, event_id=body["event_id"])
        if kind == "recheck":
            return Recheck(channels=tuple(body["channels"]))
    except (KeyError, TypeError) as exc:
        raise MessageError(f"malformed message: {exc}") from exc
    raise MessageError(f"unknown message kind {kind!r}")


def to_wire(message: Message, origin: str) -> bytes:
    """Encode a message for the broker; raises MessageError when its data is not JSON."""
    body = to_body(message)
    body["origin"] = origin
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise MessageError(f"message data on {message.channel!r} is not JSON-serializable: {exc}") from exc


def from_wire(raw: bytes) -> tuple[str, Message]:
    """Decode a broker payload into (origin, message)."""
    try:
        body = json.loads(raw)
        return str(body["origin"]), from_body(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise MessageError(f"malformed broker message: {exc}") from exc
