"""A connect reads each tournament once (issue 14: "one cheap query per connect per tournament"): a page's
channels of one tournament share the row that authorizing the first of them read (`Core.one_session`)."""
from __future__ import annotations

import re
import threading

from sqlalchemy import event

from chessweb.extensions import db
from chessweb.models import Role
from chessweb.realtime import realtime

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round
from .test_channels import connect_sequence, open_ws

READS_TOURNAMENT = re.compile(r"\bFROM tournament\b")


def test_a_page_with_four_channels_of_one_tournament_reads_it_once_per_connect(app, live_server):
    organizer = make_user(Role.ORGANIZER)
    tid = setup_tournament(organizer, 4, name="Once Open")
    start_round(tid, organizer)
    page = [f"tournament:{tid}", f"tournament:{tid}:games", f"tournament:{tid}:standings",
            f"tournament:{tid}:notices"]
    with open_ws(live_server, *page) as watching:  # another spectator: the hub's cache holds the committed state
        connect_sequence(watching)
        assert realtime.flush()
        reads: dict[str, list[str]] = {}

        def note(conn, cursor, statement, *args) -> None:
            if READS_TOURNAMENT.search(statement):
                reads.setdefault(threading.current_thread().name, []).append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            with open_ws(live_server, *page) as connecting:
                sequence = connect_sequence(connecting)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    assert sequence[-1]["channels"] == page
    socket_reads = [statements for name, statements in reads.items() if "process_request" in name]
    assert len(socket_reads) == 1, reads  # the socket's own thread, and no other request
    assert len(socket_reads[0]) == 1, "\n\n".join(s[-160:] for s in socket_reads[0])
