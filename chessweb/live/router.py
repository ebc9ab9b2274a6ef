"""Areas and the router: each area owns some channel kinds (see channels.py) and answers for them.

An area decides who may join its channels (`authorize`), what they show right now (`snapshot`), and which
fragments and messages a batch of committed events produces (`messages`; every area sees every batch and
picks what concerns it, so an area may update its channels after another area's change). The router is
what the live core calls: it parses the channel name once and asks the area that owns its kind.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

from ..realtime import Fragment, Message, UserInfo, realtime
from . import channels
from .channels import Channel
from .consumers import CommittedEvent
from .fragments import url_context

log = logging.getLogger(__name__)


class Area:
    """Base class of an area: owns nothing, allows nothing, shows nothing. Override what you need.

    Every method runs in an app context, on a background thread or a socket's thread (never a request's)."""

    #: the channel kinds (channels.KIND_*) this area owns: exactly one area owns each kind
    kinds: tuple[str, ...] = ()

    def authorize(self, user: UserInfo, channel: Channel) -> bool:
        """May `user` receive `channel` (of one of this area's kinds)? Refused channels get no data."""
        return False

    def snapshot(self, channel: Channel) -> list[Fragment]:
        """Every fragment of `channel` as committed now, with its version: what a (re)connecting page gets."""
        return []

    def current_version(self, channel: Channel) -> int | None:
        """The version `channel`'s state has in the database now (one cheap query), or None when unknown.
        The live core asks it once per channel on every connect: a cached snapshot behind it is rendered
        afresh, so a (re)connecting page is never served older state than the database holds."""
        return None

    def messages(self, events: Sequence[CommittedEvent]) -> Iterable[Message]:
        """The fragments and messages these committed events produce (on any channel); none when none of them
        concerns this area. Render each fragment once, whatever the number of events or viewers. A generator
        may yield each one as soon as it is rendered: it is published before the next is rendered."""
        return []

    def presence(self, channel: Channel, watching: int) -> list[Message]:
        """Messages to publish when the number of connections watching `channel` changed (over every process)."""
        return []


class Router:
    """Dispatches the live core's callbacks to the area owning each channel's kind."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.areas = list(areas)
        self._owners: dict[str, Area] = {}
        for area in self.areas:
            for kind in area.kinds:
                if kind in self._owners:
                    raise ValueError(f"channel kind {kind!r} is owned by both {type(self._owners[kind]).__name__} "
                                     f"and {type(area).__name__}")
                self._owners[kind] = area

    def owner(self, name: str) -> tuple[Area, Channel] | None:
        """The area owning channel `name`, with the parsed channel; None for an unknown or unowned channel."""
        channel = channels.parse(name)
        if channel is None or channel.kind not in self._owners:
            return None
        return self._owners[channel.kind], channel

    def authorize(self, user: UserInfo, name: str) -> bool:
        found = self.owner(name)
        return found is not None and bool(found[0].authorize(user, found[1]))

    def snapshot(self, name: str) -> list[Fragment]:
        found = self.owner(name)
        if found is None:
            return []
        with url_context():
            return list(found[0].snapshot(found[1]))

    def current_version(self, name: str) -> int | None:
        found = self.owner(name)
        return None if found is None else found[0].current_version(found[1])

    def on_presence(self, name: str, watching: int) -> None:
        found = self.owner(name)
        if found is None:
            return
        with url_context():
            messages = found[0].presence(found[1], watching)
        for message in messages:
            realtime.publish(message)

    def messages(self, events: Sequence[CommittedEvent]) -> Iterator[Message]:
        """Every area's messages for a batch of committed events, in the order of the areas, each as soon as
        its area has rendered it (so the first can be published while the rest are rendered)."""
        with url_context():
            for area in self.areas:
                yield from area.messages(events)
