"""A live render reads the database as of one moment: a result committed while the standings are being rendered
is either in the fragment and in its version, or in neither.

Found by CI: a render read revision 38, then rows that already held result 39, and published "38" with the
content of 39; the job for 39 then rendered the same content, which the hub does not send again (only the
version moved), so every page kept `data-version="38"` while the database was at 39."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest
from flask import Flask
from sqlalchemy import event

from chessweb.extensions import db
from chessweb.live import channels
from chessweb.live.channels import parse
from chessweb.live.consumers import CommittedEvent
from chessweb.live.fragments import url_context
from chessweb.models import EventType, Role
from chessweb.realtime import Fragment
from chessweb.realtime.hub import same_content
from chessweb.tournaments import queries, results
from chessweb.tournaments.live import publish_events, snapshot

from ..conftest import make_user
from .conftest import setup_tournament, start_round
from .helpers import games_of, queries_of_this_thread


def _result_event(tid: int, game_id: int) -> CommittedEvent:
    return CommittedEvent(id=1, type=EventType.GAME_COMPLETED.value, scope=channels.tournament(tid),
                          entity_type="game", entity_id=game_id, payload={}, target_user_ids=[], actor_id=None,
                          created_at=datetime.now(timezone.utc))


def _by_publish(tid: int, game_id: int) -> list[Fragment]:
    return [m for m in publish_events(tid, [_result_event(tid, game_id)]) if isinstance(m, Fragment)]


def _by_snapshot(tid: int, _game_id: int) -> list[Fragment]:
    channel = parse(channels.tournament(tid, "standings"))
    assert channel is not None
    return snapshot(channel)


_READS_TOURNAMENT = re.compile(r"^SELECT .*\sFROM tournament\b", re.S)


@pytest.fixture
def commit_during_first_read(app: Flask) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Arm a change that another thread commits right after this thread's first read of the tournament table,
    that is, between the version a render reads and the rows it renders."""
    armed: list[Callable[[], None]] = []
    me = threading.get_ident()

    def after_execute(_conn, _cursor, statement: str, *_args) -> None:
        if armed and threading.get_ident() == me and _READS_TOURNAMENT.search(statement):
            change = armed.pop()

            def another_writer() -> None:  # as another request or process would, on its own connection
                with app.app_context():
                    change()
                    db.session.remove()
            writer = threading.Thread(target=another_writer)
            writer.start()
            writer.join(30)

    event.listen(db.engine, "after_cursor_execute", after_execute)
    yield armed.append
    event.remove(db.engine, "after_cursor_execute", after_execute)


@pytest.mark.parametrize("render", [_by_publish, _by_snapshot], ids=["publish", "snapshot"])
def test_a_result_committed_mid_render_is_in_both_content_and_version_or_in_neither(
        app: Flask, commit_during_first_read, render) -> None:
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 8)
    start_round(tid, organizer)
    organizer_id = organizer.id
    first, second = (game.id for game in games_of(tid, 1)[:2])
    results.set_result(tid, first, "1-0", organizer_id)
    assert app.extensions["realtime"].flush(60)  # its own publication is not part of this test
    before = queries.load_tournament(tid).revision
    db.session.remove()

    commit_during_first_read(lambda: results.set_result(tid, second, "0-1", organizer_id))
    with url_context():
        rendered = {f.key: f for f in render(tid, first)}
    db.session.remove()
    after = queries.load_tournament(tid).revision
    assert after == before + 1  # the other thread's result went in while the render ran
    with url_context():
        fresh = {f.key: f for f in _by_snapshot(tid, first)}

    standings = rendered[f"standings-{tid}"]
    assert standings.version in (before, after)
    if standings.version == before:
        assert not same_content(standings, fresh[f"standings-{tid}"]), "content of the newer revision, older version"
    else:
        assert standings.html == fresh[f"standings-{tid}"].html


def test_a_results_batch_loads_the_tournament_once_for_all_its_fragments(app: Flask) -> None:
    """The standings, the player pages, the scoreboard round, the arbiter's panels and the players' boxes of one
    result share one load of the tournament (`load_tournament` inside `one_snapshot`); each used to load it."""
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 8)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0].id
    results.set_result(tid, game, "1-0", organizer.id)
    assert app.extensions["realtime"].flush(60)
    db.session.remove()
    with queries_of_this_thread() as statements, url_context():
        rendered = _by_publish(tid, game)
    keys = {f.key for f in rendered}
    assert {f"standings-{tid}", f"game-{game}"} <= keys and any(k.startswith("arbiter") for k in keys), keys
    loads = [s for s in statements if re.search(r"FROM registration\b.*\bIN\b", s, re.S)]  # selectinload of players
    assert len(loads) == 1, f"{len(loads)} loads of the tournament's players for one batch"
