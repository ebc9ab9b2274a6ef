"""The live layer of the app, chess-free: channel names, one fragment renderer, areas that own channel
kinds, and the consumers that turn committed events into published fragments. The chess areas live with
the chess code (chessweb/tournaments/live.py); docs/ARCHITECTURE.md tells the whole story.

    live.init_app(app, areas=[CommonArea(), TournamentArea(), OverviewArea()])   # in create_app
    events.record_event("user:7", EventType..., ...)  # in a transaction: durable, published after commit
    live.publish_after_commit(Fragment(...))          # in a transaction: best effort, published after commit
    live.register_consumer(app, Consumer("notifications", handle))   # see every committed event once

Settings: LIVE_CLAIM_SECONDS (lease of a consumer's claim, default 3) and LIVE_SWEEP_SECONDS (how often
each process looks for claims a dead process left, default 1).
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta

from flask import Flask

from ..extensions import db
from ..realtime import Message, realtime
from . import channels, fragments
from .common import CommonArea
from .consumers import CommittedEvent, Consumer, Consumers
from .consumers import install as _install_consumers
from .consumers import of as _consumers_of
from .router import Area, Router
from .store import SqlStorage

__all__ = ["Area", "CommonArea", "CommittedEvent", "Consumer", "LIVE_CONSUMER", "Router", "channels", "init_app",
           "publish_after_commit", "register_consumer", "router_of"]

LIVE_CONSUMER = "live"  # the consumer that publishes fragments for committed events
SENT_TIMEOUT = 10.0  # seconds to wait for published messages to leave the process before finishing a claim
_serial = itertools.count()


def init_app(app: Flask, areas: Iterable[Area]) -> Router:
    """Bind the live core to the app, routing every channel to the area that owns its kind.

    Registers the `live` consumer (committed events -> each area's messages -> published) and the sweep
    that takes over claims of dead processes. Returns the router (also in app.extensions["live"])."""
    router = Router(areas)
    fragments.register(app)
    storage = SqlStorage(db.session)
    realtime.init_app(app, authorize=router.authorize, snapshot=router.snapshot, on_presence=router.on_presence,
                      current_version=router.current_version, storage=storage)
    app.extensions["live"] = router
    consumers = Consumers(lease=timedelta(seconds=float(app.config.get("LIVE_CLAIM_SECONDS") or 3.0)),
                          server_id=app.extensions["realtime"].server_id)
    _install_consumers(app, consumers, float(app.config.get("LIVE_SWEEP_SECONDS") or 1.0))
    consumers.register(Consumer(LIVE_CONSUMER, lambda events: _publish_events(router, events)))
    return router


def router_of(app: Flask) -> Router:
    """The router `init_app` installed on `app`."""
    router: Router = app.extensions["live"]
    return router


def register_consumer(app: Flask, consumer: Consumer) -> None:
    """From now on, `consumer.handle` gets every committed event once (see consumers.py). Call at start-up,
    in create_app after `init_app`: events committed before a consumer existed are not pending for it."""
    _consumers_of(app).register(consumer)


def publish_after_commit(*messages: Message) -> None:
    """Publish ready-made fragments/events on any channel once the current transaction commits (nothing on a
    rollback). Best effort: a process killed right after the commit loses them. For what must survive a crash,
    record an event (events.record_event) and let an area turn it into messages."""
    if messages:
        realtime.after_commit(f"message:{next(_serial)}", lambda: list(messages))


def _publish_events(router: Router, events: Sequence[CommittedEvent]) -> None:
    for message in router.messages(events):
        realtime.publish(message)
        # Let the fan-out send it before the next render: under gevent (time.sleep is gevent's) renders never
        # yield, so without this every socket would wait for the batch's last fragment.
        time.sleep(0)
    # Finishing the claim says "published": only once the messages have left this process.
    if not realtime.sent(SENT_TIMEOUT):
        raise TimeoutError("published messages did not leave the process in time; the claim will be retried")
