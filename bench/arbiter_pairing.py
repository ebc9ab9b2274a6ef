"""The arbiter's "pair round", measured the way the arbiter waits for it: an HTTP POST to the app.

`measure_arbiter_round` imports a tournament's history (TRF) into a fresh database through the import
service, logs the organizer in through the login form, then POSTs the "pair next round" form of the manage
page (with its CSRF token) through the Flask app, exactly as the browser does: view, form check, services,
the database read, the Dutch pairing, the draft written. It times that POST and the draft page the redirect
then shows, discards the draft, and repeats.

The app is driven in-process (Flask's test client, no socket): what the arbiter sees on top of this is the
network and, under gunicorn, the wait behind whatever else the worker is doing.
"""
from __future__ import annotations

import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fanout import ORGANIZER_EMAIL, ORGANIZER_PASSWORD, _csrf, bench_organizer  # bench/ is on the path


@dataclass(frozen=True)
class ArbiterTiming:
    """Medians in seconds: the POST (pairing included; wall clock, and CPU of this process plus the pairing's
    child process) and the GET of the draft page it redirects to."""

    post: float
    post_cpu: float
    draft_page: float
    boards: tuple[tuple[int, int, int], ...]  # (board, white, black) pairing numbers of the draft, byes black 0


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its finished children (the pairing runs in one, chessweb.jobs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measure_arbiter_round(trf: str, repeat: int, database_url: str | None = None) -> ArbiterTiming:
    """Import `trf` (a Swiss whose next round is to be paired), then pair that round `repeat` times over HTTP.

    `database_url`: a PostgreSQL URL whose current schema is empty, else a SQLite file in a temporary folder.
    """
    from flask_migrate import upgrade
    from sqlalchemy import select

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.models import Game, Registration, Round
    from chessweb.realtime import realtime
    from chessweb.tournaments import interchange, rounds

    with tempfile.TemporaryDirectory() as workdir:
        url = database_url or f"sqlite:///{Path(workdir) / 'arbiter.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-arbiter", "BROKER_URL": "memory://"})
        try:
            with app.app_context():
                upgrade()
                organizer_id = bench_organizer().id
                tid = interchange.import_trf(trf, organizer_id).tournament_id
                db.session.remove()
            client = app.test_client()
            login = client.get("/auth/login").get_data(as_text=True)
            response = client.post("/auth/login", data={"csrf_token": _csrf(login), "email": ORGANIZER_EMAIL,
                                                        "password": ORGANIZER_PASSWORD})
            assert response.status_code == 303, response.status_code
            posts, cpus, pages, boards = [], [], [], ()
            for _ in range(repeat):
                token = _csrf(client.get(f"/tournaments/{tid}/manage").get_data(as_text=True))
                start, cpu = time.perf_counter(), _cpu_with_children()
                response = client.post(f"/tournaments/{tid}/rounds", data={"csrf_token": token})
                posts.append(time.perf_counter() - start)
                cpus.append(_cpu_with_children() - cpu)
                if response.status_code != 303:
                    raise RuntimeError(f"pairing answered {response.status_code}: "
                                       f"{response.get_data(as_text=True)[:2000]}")
                start = time.perf_counter()
                page = client.get(response.headers["Location"])
                pages.append(time.perf_counter() - start)
                assert page.status_code == 200, page.status_code
                with app.app_context():
                    draft = db.session.scalars(select(Round).where(Round.tournament_id == tid)
                                               .order_by(Round.number.desc())).first()
                    numbers = dict(db.session.execute(select(Registration.id, Registration.pairing_number)
                                                      .where(Registration.tournament_id == tid)).all())
                    games = db.session.scalars(select(Game).where(Game.round_id == draft.id)).all()
                    boards = tuple(sorted((g.board, numbers[g.white_id], numbers.get(g.black_id, 0))
                                          for g in games))
                    number = draft.number
                    db.session.remove()
                    rounds.discard_draft(tid, number, "benchmark repeat", organizer_id)
                    db.session.remove()
        finally:
            with app.app_context():
                if "realtime" in app.extensions:
                    realtime.stop(app)
                db.session.remove()
                db.engine.dispose()
    return ArbiterTiming(statistics.median(posts), statistics.median(cpus), statistics.median(pages), boards)
