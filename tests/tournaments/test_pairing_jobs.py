"""CPU-heavy work in a child process (chessweb.jobs): same answers, errors that say what happened, and the
arbiter's "pair round" really pairing outside the process that serves the request."""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from chessweb import jobs
from chessweb.extensions import db
from chessweb.fide import dutch
from chessweb.fide.crosstable import Crosstable, Player, bye_entry, game_entries
from chessweb.fide.pairing import PairingError
from chessweb.fide.trf import read_trf
from chessweb.models import Game, Round, RoundStatus

from ..conftest import CSRF_INPUT, PASSWORD
from ..fide.make_dutch_events import FOLDER
from ..fide.test_dutch import not_paired_in
from .conftest import setup_tournament
from .helpers import pair


def test_a_child_pairs_a_round_as_this_process_does_and_reports_progress():
    table = read_trf((FOLDER / "swiss-64p-9of9r-coin-seed5.trf").read_bytes())
    for round_no in (2, 6):
        before, absent = table.through(round_no - 1), not_paired_in(table, round_no)
        shares: list[float] = []
        in_child = dutch.pair_next_round(before, absent, engine=jobs.dutch_engine(shares.append))
        assert in_child == dutch.pair_next_round(before, absent)
        assert shares == sorted(shares) and shares[-1] == 1.0 and all(0 <= s <= 1 for s in shares)


def niceness(pid: int) -> int:
    """The nice value of a running process (proc(5): field 19 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[16])


def test_a_child_runs_below_the_priority_of_the_process_holding_the_sockets():
    child = jobs.start_child("chessweb.jobs", what="test")
    try:
        expected = min(19, os.nice(0) + jobs.JOB_NICENESS)
        deadline = time.monotonic() + 10
        while niceness(child.pid) != expected:  # the child lowers itself first thing, then waits for its request
            assert time.monotonic() < deadline, f"child at nice {niceness(child.pid)}, not {expected}"
            time.sleep(0.02)
    finally:
        child.kill()
        child.communicate()


def test_a_round_that_cannot_be_paired_says_why_from_the_child_too():
    """Three players who have all met, each with a pairing-allocated bye already: round 4 cannot be paired."""
    table = Crosstable(tuple(Player(n, f"P{n}", 2000 - n) for n in range(1, 4)), {}, 4)
    for round_no, (white, black, bye) in enumerate([(1, 2, 3), (3, 1, 2), (2, 3, 1)], start=1):
        table = table.with_entries({**game_entries(round_no, white, black, "="), bye: bye_entry(round_no, "U")})
    with pytest.raises(PairingError, match="round 4 cannot be paired") as in_process:
        dutch.pair_next_round(table)
    with pytest.raises(PairingError) as in_child:
        dutch.pair_next_round(table, engine=jobs.dutch_engine())
    assert str(in_child.value) == str(in_process.value)


def test_a_child_that_fails_or_hangs_is_a_job_failure_not_an_answer(caplog):
    with pytest.raises(ValueError, match="unknown task"):
        jobs.run("rm -rf", {})
    with pytest.raises(jobs.JobFailed, match="exit code 1"):
        jobs.run("dutch", {"trf": "012 missing arguments"})  # a TypeError in the child
    assert "TypeError" in caplog.text  # the child's traceback reaches the log
    trf = (FOLDER / "swiss-64p-9of9r-coin-seed5.trf").read_text(encoding="latin-1")
    with pytest.raises(jobs.JobFailed):
        jobs.run("dutch", {"trf": trf, "round_no": 9, "planned_rounds": 9, "top_colour": "w"}, timeout=0.05)


def test_a_failing_child_tells_the_arbiter_to_try_again_and_changes_nothing(app, org_client, organizer, monkeypatch):
    app.config["PAIRING_CHILD_MIN_PLAYERS"] = 0
    tid = setup_tournament(organizer, 6)
    monkeypatch.setattr(jobs.sys, "executable", shutil.which("false"))  # a "child" that exits 1 at once
    response = pair(org_client, tid)
    assert response.status_code == 409
    assert "stopped unexpectedly" in response.get_data(as_text=True)
    assert db.session.scalars(select(Round).where(Round.tournament_id == tid)).first() is None


def test_pair_round_pairs_big_fields_in_a_child_process(app, org_client, organizer, monkeypatch, caplog):
    """With gacrux broken in this process, a field at the threshold is still paired (by the child), and a field
    below it is not: so the threshold decides where the pairing runs."""
    def broken(*_args, **_kwargs):
        raise AssertionError("paired in the web process")

    monkeypatch.setattr(dutch, "gacrux_pairs", broken)  # here only: the child imports the real one
    app.config["PAIRING_CHILD_MIN_PLAYERS"] = 8
    big = setup_tournament(organizer, 8, name="Big Open")
    response = pair(org_client, big)
    assert response.status_code == 303, response.get_data(as_text=True)
    draft = db.session.scalars(select(Round).where(Round.tournament_id == big)).one()
    assert draft.status == RoundStatus.DRAFT
    boards = db.session.scalars(select(Game).where(Game.round_id == draft.id).order_by(Game.board)).all()
    assert len(boards) == 4 and all(g.black_id is not None for g in boards)
    small = setup_tournament(organizer, 7, name="Small Open")
    assert pair(org_client, small).status_code == 500  # the broken in-process gacrux was used
    assert "paired in the web process" in caplog.text


def test_a_pairing_goes_on_when_the_arbiter_closes_the_page(app, organizer, live_server):
    """The browser sends "pair round" and goes away at once (tab closed): the draft is written all the same."""
    app.config["PAIRING_CHILD_MIN_PLAYERS"] = 0
    tid = setup_tournament(organizer, 12)
    cookies: dict[str, str] = {}

    def request(method: str, path: str, body: dict[str, str] | None = None) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, urlencode(body) if body is not None else None, headers)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode()
        connection.close()
        return text

    token = CSRF_INPUT.search(request("GET", "/auth/login"))
    request("POST", "/auth/login", {"csrf_token": token.group(1) or token.group(2), "email": organizer.email,
                                    "password": PASSWORD})
    token = CSRF_INPUT.search(request("GET", f"/tournaments/{tid}/manage"))
    body = urlencode({"csrf_token": token.group(1) or token.group(2)}).encode()
    with socket.create_connection(("127.0.0.1", live_server.port)) as browser:
        browser.sendall(f"POST /tournaments/{tid}/rounds HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"Cookie: {'; '.join(f'{k}={v}' for k, v in cookies.items())}\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    # The page is gone; the pairing is not.
    deadline = time.monotonic() + 60
    draft = None
    while draft is None and time.monotonic() < deadline:
        time.sleep(0.2)
        db.session.expire_all()
        draft = db.session.scalars(select(Round).where(Round.tournament_id == tid)).first()
    assert draft is not None and draft.status == RoundStatus.DRAFT
    assert len(db.session.scalars(select(Game).where(Game.round_id == draft.id)).all()) == 6
