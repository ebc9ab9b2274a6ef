"""The client-facing wire protocol: parsing client frames, building server replies, per-connection limits."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import ValidationError

from . import wire
from .messages import Event, Fragment

# "tournament:7:standings", "user:12", "system": a lowercase name, then up to four ":"-separated parts.
CHANNEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}(?::[A-Za-z0-9_-]{1,64}){0,4}")
MAX_CHANNEL_LENGTH = 128


# One spelling per channel: a number is written without leading zeros ("tournament:07" would be a second name
# for "tournament:7", authorized for it yet never published to).
NON_CANONICAL_NUMBER = re.compile(r"(?:^|:)0[0-9]+(?=:|$)")


def is_valid_channel(name: object) -> bool:
    """True for a well-formed channel name in its one spelling (authorization is a separate question)."""
    return (isinstance(name, str) and len(name) <= MAX_CHANNEL_LENGTH and CHANNEL_PATTERN.fullmatch(name) is not None
            and NON_CANONICAL_NUMBER.search(name) is None)


class ProtocolError(Exception):
    """A client frame we cannot act on; becomes an `error` reply and the connection stays usable."""

    def __init__(self, code: str, message: str, channel: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.channel = channel


@dataclass(frozen=True, slots=True)
class Subscribe:
    channel: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    channel: str


@dataclass(frozen=True, slots=True)
class Ping:
    id: str | int | None = None  # echoed in the pong so a client can match replies


ClientMessage = Subscribe | Unsubscribe | Ping


def parse_client_message(frame: str | bytes) -> ClientMessage:
    """Parse one client frame; raises ProtocolError naming what is wrong."""
    if isinstance(frame, (bytes, bytearray)):
        raise ProtocolError("bad_frame", "binary frames are not accepted; send JSON text")
    try:
        body = json.loads(frame)
    except ValueError:
        raise ProtocolError("bad_json", "frame is not valid JSON") from None
    except RecursionError:  # nesting deeper than the interpreter's stack: no message of ours looks like that
        raise ProtocolError("bad_json", "frame is nested too deeply") from None
    if not isinstance(body, dict):
        raise ProtocolError("bad_json", "frame must be a JSON object")
    try:
        message = wire.CLIENT_MESSAGE.validate_python(body)
    except ValidationError as exc:
        raise _refusal(body, exc) from None
    if isinstance(message, wire.PingMessage):
        return Ping(message.id)
    if not is_valid_channel(message.channel):  # the one-spelling rule is beyond the schema's pattern
        raise ProtocolError("bad_channel", f"invalid channel name {message.channel[:MAX_CHANNEL_LENGTH]!r}")
    return Subscribe(message.channel) if isinstance(message, wire.SubscribeMessage) else Unsubscribe(message.channel)


def _refusal(body: dict[str, Any], exc: ValidationError) -> ProtocolError:
    """The model's first complaint as one of the protocol's error codes (the codes clients already know)."""
    error = exc.errors()[0]
    field = str(error["loc"][1]) if len(error["loc"]) > 1 else "type"  # loc: (message type, field, ...)
    if error["type"] == "union_tag_not_found":
        return ProtocolError("missing_field", "missing field 'type'")
    if error["type"] == "union_tag_invalid":
        return ProtocolError("unknown_type", f"unknown message type {str(body.get('type'))[:32]!r}")
    if error["type"] == "missing":
        return ProtocolError("missing_field", f"missing field {field!r}")
    if field == "channel":
        return ProtocolError("bad_channel", f"invalid channel name {str(body.get('channel'))[:MAX_CHANNEL_LENGTH]!r}")
    if field == "id":
        return ProtocolError("invalid_field", "field 'id' must be a short string or integer")
    return ProtocolError("invalid_field", f"field {field!r} is invalid")


# --------------------------------------------------------------------------- server messages (JSON clients)

def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the payload of one text frame."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def connected(session_id: str, user_id: int | None) -> dict[str, Any]:
    """The control replies are built through their models (wire.py), so they cannot drift from the schema."""
    return wire.ConnectedMessage(type="connected", session_id=session_id, user_id=user_id).model_dump()


def subscribed(channels: list[str]) -> dict[str, Any]:
    return wire.SubscribedMessage(type="subscribed", channels=channels).model_dump()


def unsubscribed(channels: list[str]) -> dict[str, Any]:
    return wire.UnsubscribedMessage(type="unsubscribed", channels=channels).model_dump()


def pong(ping_id: str | int | None) -> dict[str, Any]:
    return wire.PongMessage(type="pong", id=ping_id).model_dump()


def error(code: str, message: str, channel: str | None = None) -> dict[str, Any]:
    """An `error` reply; `code` must be one of wire.ErrorCode (pydantic.ValidationError otherwise)."""
    body = wire.ErrorMessage(type="error", code=code, message=message, channel=channel)  # type: ignore[arg-type]
    return body.model_dump(exclude_none=True)


def _delivery_type(channel: str) -> str:
    # A user's own channel carries messages meant for that user alone.
    return "user_message" if channel.startswith("user:") else "broadcast"


def fragment_body(fragment: Fragment) -> dict[str, Any]:
    """What a JSON client gets for a fragment: the state, without the html."""
    return {"type": _delivery_type(fragment.channel), "channel": fragment.channel, "key": fragment.key,
            "version": fragment.version, "data": fragment.data}


def event_body(event: Event) -> dict[str, Any]:
    return {"type": _delivery_type(event.channel), "channel": event.channel, "event": event.type,
            "data": event.data}


# --------------------------------------------------------------------------- rate limit

class Verdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # reply with an error, keep the connection
    ABUSE = "abuse"  # close the connection (4429)


class TokenBucket:
    """Messages per second with a burst; refused messages still cost a token, so sustained excess goes into
    debt, and a debt beyond `abuse_after` seconds' worth of tokens means abuse."""
    __slots__ = ("_clock", "_last", "_tokens", "abuse_limit", "capacity", "rate")

    def __init__(self, rate: float, *, abuse_after: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.rate = float(rate)
        self.capacity = float(rate)
        self.abuse_limit = -abuse_after * rate
        self._clock = clock
        self._tokens = self.capacity
        self._last = clock()

    def take(self, now: float | None = None) -> Verdict:
        """Count one message that arrived at `now` (the clock's seconds; default: the clock now).

        Pass the time the frame was read off the socket: a client is judged by its own pace, not by when a
        busy server got round to its frames (which then look like a burst)."""
        now = self._clock() if now is None else now
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = max(self._last, now)
        self._tokens -= 1
        if self._tokens >= 0:
            return Verdict.ALLOW
        return Verdict.ABUSE if self._tokens < self.abuse_limit else Verdict.REFUSE
