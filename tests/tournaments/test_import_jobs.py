"""A big TRF import runs in a child process (chessweb.jobs), not in the process that holds the sockets: the same
pages and answers as an import in the web process, and the web process's sockets keep being served meanwhile."""
from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from markupsafe import escape
from sqlalchemy import event, func, select
from websockets.sync.client import connect

from chessweb import create_app, jobs
from chessweb.extensions import db
from chessweb.models import Game, Registration, Role, Round, Tournament, TournamentStatus
from chessweb.tournaments import interchange

from ..conftest import PASSWORD, make_user, migrated_schema
from ..processes import WAIT, AppProcess, Browser
from .helpers import db_state
from .test_interchange_files import upload

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from faults import make_trf

# A finished 20-player round robin, ~4 KB, with a header value the importer leaves out with a warning.
SMALL = b"032 Norway\n" + make_trf(4000)


def _in_web_process(*_args: Any, **_kwargs: Any) -> None:
    raise AssertionError("imported in the web process")


def test_a_file_at_the_threshold_is_imported_by_a_child_with_the_same_page(app, org_client, organizer, monkeypatch,
                                                                          caplog):
    """With the importer broken in this process, a file at the threshold is still imported (by the child, which
    imports the real one), and one below it is not: so the threshold decides where the import runs."""
    monkeypatch.setattr(interchange, "_rows", _in_web_process)
    app.config["TRF_IMPORT_CHILD_MIN_BYTES"] = len(SMALL)
    response = upload(org_client, SMALL)
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    tid = int(response.headers["Location"].split("/")[2])
    tournament = db.session.get(Tournament, tid)  # committed by the child, seen here
    assert tournament.organizer_id == organizer.id and tournament.status == TournamentStatus.COMPLETED
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.tournament_id == tid)) == 20
    assert db.session.scalar(select(func.count()).select_from(Game).join(Round).where(
        Round.tournament_id == tid)) == 19 * 10
    page = org_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tournament imported." in page
    assert escape("Imported with a warning: line 1, column 5: federation 'Norway' is not a three-letter code; "
                  "left out.") in page

    response = upload(org_client, SMALL[:-1])  # one byte below: imported here, by the broken importer
    assert response.status_code == 500
    assert "imported in the web process" in caplog.text


@pytest.mark.parametrize(("data", "field", "message"), [
    (SMALL.replace(b"XXR ", b"XXR x"), "trf", "The TRF file cannot be read: line "),
    (SMALL.replace(b"\nXXR", b"\nXXX"), "planned_rounds", "The file does not say how many rounds"),
])
def test_a_file_the_child_refuses_is_the_same_400_and_writes_nothing(app, org_client, monkeypatch, data, field,
                                                                    message):
    app.config["TRF_IMPORT_CHILD_MIN_BYTES"] = 10**9  # in this process
    here = upload(org_client, data)
    app.config["TRF_IMPORT_CHILD_MIN_BYTES"] = 0  # in a child: this process's reader is never asked
    monkeypatch.setattr(interchange, "read_trf_file", _in_web_process)
    before = db_state()
    there = upload(org_client, data)
    assert there.status_code == here.status_code == 400
    said = re.search(rf'id="{field}-errors"[^>]*>([^<]*)<', there.get_data(as_text=True))
    assert said and message in said.group(1), there.get_data(as_text=True)[-3000:]
    assert said.group(0) in here.get_data(as_text=True)  # word for word, at the same field
    assert db_state() == before and db.session.scalar(select(Tournament.id)) is None


def test_a_child_that_dies_is_a_500_that_says_so_and_writes_nothing(app, org_client, monkeypatch):
    app.config["TRF_IMPORT_CHILD_MIN_BYTES"] = 0
    monkeypatch.setattr(jobs.sys, "executable", shutil.which("false"))  # a "child" that exits 1 at once
    response = upload(org_client, SMALL)
    assert response.status_code == 500
    assert "The import stopped unexpectedly" in response.get_data(as_text=True)
    assert db.session.scalar(select(Tournament.id)) is None


WRITES = ("INSERT", "UPDATE", "DELETE")


def _statements_of_import(data: bytes, organizer_id: int) -> tuple[int, int]:
    """Import `data` here (what the child runs) on the test's SQLite file; answers (statements sent before the
    transaction's first write, statements from that first write to the commit), counting an executemany as one.
    Only this thread's statements count: after the commit the live core's threads read and write too."""
    me = threading.get_ident()
    statements: list[str] = []
    committed: list[int] = []

    def executed(_conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == me and not committed:
            statements.append(statement.lstrip().split(None, 1)[0].upper())

    def commit(_conn) -> None:
        if threading.get_ident() == me and any(s in WRITES for s in statements):
            committed.append(len(statements))

    event.listen(db.engine, "before_cursor_execute", executed)
    event.listen(db.engine, "commit", commit)
    try:
        interchange.import_trf(data, organizer_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        event.remove(db.engine, "commit", commit)
    first_write = next(i for i, kind in enumerate(statements) if kind in WRITES)
    return first_write, len(statements) - first_write


def test_the_write_transaction_of_an_import_sends_as_many_statements_for_5000_games_as_for_190(app, organizer):
    """Issue #14: on SQLite the import's write transaction holds the only write lock, and every write of the
    gevent worker waits for it. Every row is built before the first write, and the transaction is a few bulk
    INSERTs (executemany), one per table: its statements do not grow with the file (one per row, or per batch of
    rows, did: the ORM flush of 93,000 objects held the lock for most of a 2 MB file's import). Nothing is sent
    before the first write either: reading and checking the file needs no database."""
    big = make_trf(100_000)  # a finished 100-player round robin: 4,950 games
    assert big.count(b"\n001 ") == 100
    small = _statements_of_import(SMALL, organizer.id)
    large = _statements_of_import(big, organizer.id)
    print(f"statements before the first write, and in the write transaction: {small} (190 games), "
          f"{large} (4,950 games)")
    assert small[0] == large[0] == 0
    assert large[1] == small[1]
    assert db.session.scalar(select(func.count()).select_from(Game).join(Round).join(Tournament).where(
        Tournament.organizer_id == organizer.id)) == 190 + 4950


# --------------------------------------------------------------------------- the sockets, under gunicorn

def multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def production_database(postgres_url: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, whichever database this pass tests: the production setup.

    With SQLite (the one-process embedded default) the child's write transaction holds the only write lock, and
    every write of the gevent worker (a socket's row, a consumer's lease) waits for it inside the event loop."""
    with migrated_schema(postgres_url, "cw_import") as url:
        yield url


@pytest.mark.slow(seconds=12)
def test_the_sockets_of_the_importing_worker_keep_answering_during_a_big_import(production_database: str,
                                                                                tmp_path: Path):
    """trf-import-cpu-worker-kill: a 0.3 MB TRF (1,986 players, 6 rounds: seconds of parsing and 8,000 rows)
    imported through the form of the one gevent worker (on PostgreSQL) that also holds a live socket. The socket's
    pings are answered throughout; imported in the worker itself, nothing was answered until the import was done.
    (The case's 0.9 MB file took 70 s of this suite on a loaded machine; a third of it tells the same.)"""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": production_database,
                      "BROKER_URL": "memory://", "SERVER_NAME": None})
    with app.app_context():
        try:
            _import_while_pinging(production_database, tmp_path)
        finally:
            db.session.remove()
            db.engine.dispose()


def _import_while_pinging(database_url: str, tmp_path: Path) -> None:
    organizer = make_user(Role.ORGANIZER, name="Olga Import")
    data = make_trf(300_000)
    server = AppProcess("import", {"DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex,
                                   "CHESSWEB_ENV": "production", "CHESSWEB_SESSION_COOKIE_SECURE": "false"},
                        tmp_path)
    try:
        server.wait_ready()
        browser = Browser(server.url)
        login = urlencode({"csrf_token": browser.token("/auth/login"), "email": organizer.email,
                           "password": PASSWORD}).encode()
        assert browser.post("/auth/login", login, "application/x-www-form-urlencoded") == 303
        body, content_type = multipart({"csrf_token": browser.token("/tournaments/import"), "is_public": "y"},
                                       "trf", "big.trf", data)
        with connect(f"{server.ws_url}/ws?format=json", open_timeout=WAIT, compression=None) as ws:
            assert json.loads(ws.recv(timeout=WAIT))["type"] == "connected"
            answer: dict[str, Any] = {}
            posting = threading.Thread(target=lambda: answer.update(
                status=browser.post("/tournaments/import", body, content_type, timeout=120),
                done=time.monotonic()))
            started = time.monotonic()
            posting.start()
            waits: list[float] = []
            while posting.is_alive():
                sent = time.monotonic()
                ws.send(json.dumps({"type": "ping", "id": len(waits)}))
                while True:
                    reply = json.loads(ws.recv(timeout=120))
                    if reply["type"] == "pong" and reply["id"] == len(waits):
                        break
                waits.append(time.monotonic() - sent)
                time.sleep(0.2)  # within the socket's message rate limit
            posting.join()
        assert answer["status"] == 303, server.tail()
        print(f"import of {len(data)} bytes: {answer['done'] - started:.1f} s; pongs within {max(waits):.3f} s")
        took = answer["done"] - started
        assert took > 1.0, f"the import took {took:.1f} s: too fast to tell anything"
        # Imported in the worker, a pong waits about as long as the import itself. On a loaded machine the worker
        # can still miss the CPU for a moment (0.6 s once, while three browsers ran), so the bound is a tenth of
        # the import, and never under 0.5 s.
        assert len(waits) >= 3 and max(waits) < max(0.5, took / 10) and statistics.median(waits) < 0.1, (
            f"pongs waited up to {max(waits):.2f} s during an import of {took:.1f} s: {waits}")
        db.session.expire_all()
        tid = db.session.scalars(select(Tournament.id).where(Tournament.organizer_id == organizer.id)).one()
        assert db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.tournament_id == tid)) == data.count(b"\n001 ")
        assert "Traceback" not in server.log.read_text(errors="replace")
    except BaseException:
        print(f"--- gunicorn log\n{server.tail()}")
        raise
    finally:
        server.stop()
