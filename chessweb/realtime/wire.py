"""The /ws protocol as typed models (pydantic v2): what a client may send, and what a JSON client receives.

Chess-free, like the rest of the live core: `data` is any JSON object here. The app narrows it per channel
in chessweb/api/contracts.py, which also publishes these models as a JSON Schema (JSON Schema 2020-12).
`protocol.parse_client_message` validates every incoming frame with `CLIENT_MESSAGE`.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter

MAX_PING_ID_LENGTH = 64


class Frame(BaseModel):
    """Base of every message: unknown fields in a client frame are ignored (a newer client stays usable)."""
    model_config = ConfigDict(extra="ignore", frozen=True)


class ServerFrame(BaseModel):
    """Base of every server message: exactly these fields, so a schema check notices a new one."""
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- client -> server

class SubscribeMessage(Frame):
    """Join a channel; answered with `subscribed` (then the channel's current state) or an `error`."""
    type: Literal["subscribe"]
    channel: StrictStr = Field(description="a channel name, e.g. 'tournament:7:standings'",
                               max_length=128, pattern=r"^[a-z][a-z0-9_]{0,31}(?::[A-Za-z0-9_-]{1,64}){0,4}$")


class UnsubscribeMessage(Frame):
    """Leave a channel; answered with `unsubscribed`."""
    type: Literal["unsubscribe"]
    channel: StrictStr = Field(max_length=128, pattern=r"^[a-z][a-z0-9_]{0,31}(?::[A-Za-z0-9_-]{1,64}){0,4}$")


PingId = Union[Annotated[StrictStr, Field(max_length=MAX_PING_ID_LENGTH)],
               Annotated[StrictInt, Field(ge=-(10 ** 63), le=10 ** 63)], None]


class PingMessage(Frame):
    """Are you there? Answered with a `pong` carrying the same id."""
    type: Literal["ping"]
    id: PingId = Field(default=None, description="echoed in the pong so a client can match replies")


ClientMessage = Annotated[Union[SubscribeMessage, UnsubscribeMessage, PingMessage], Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[Any] = TypeAdapter(ClientMessage)


# --------------------------------------------------------------------------- server -> client

class ConnectedMessage(ServerFrame):
    """First message on every JSON connection."""
    type: Literal["connected"]
    session_id: str
    user_id: int | None


class SubscribedMessage(ServerFrame):
    type: Literal["subscribed"]
    channels: list[str]


class UnsubscribedMessage(ServerFrame):
    type: Literal["unsubscribed"]
    channels: list[str]


class PongMessage(ServerFrame):
    type: Literal["pong"]
    id: str | int | None


ErrorCode = Literal["bad_frame", "bad_json", "missing_field", "invalid_field", "bad_channel", "unknown_type",
                    "forbidden", "too_many_channels", "rate_limited", "unavailable", "internal_error"]


class ErrorMessage(ServerFrame):
    """A frame the server could not act on, or a channel refused; the connection stays open."""
    type: Literal["error"]
    code: ErrorCode
    message: str
    channel: str | None = Field(default=None, description="the channel the error is about, when there is one")


class FragmentMessage(ServerFrame):
    """The newest state of one part of a page (`key`); a higher `version` replaces a lower one."""
    type: Literal["broadcast", "user_message"]
    channel: str
    key: str
    version: int = Field(ge=0)
    data: dict[str, Any] | None


class EventMessage(ServerFrame):
    """Something that happened on a channel; not state, never repeated on reconnect."""
    type: Literal["broadcast", "user_message"]
    channel: str
    event: str
    data: dict[str, Any]


RealtimeServerMessage = Union[ConnectedMessage, SubscribedMessage, UnsubscribedMessage, PongMessage, ErrorMessage,
                              FragmentMessage, EventMessage]
