"""How a standings viewer's pushes should travel, measured: bytes per result and render CPU at 40, 300 and
2,000 players, for the ways issue 13 lists, and the cost of a public standings page first and second time.

A Swiss of N players (simulated, 5 of 7 rounds played) is imported into a fresh SQLite database; then results
of the last round are corrected one at a time through the results service, exactly as an arbiter enters them,
and after each the live layer's standings fragment is rendered as the publisher renders it. Per result:

- whole:   the whole standings fragment, plus the header frame each result also sends (before this change);
- deflate: the same fragment compressed once per message (permessage-deflate, no context takeover: one zlib
           stream per message, the same bytes to every socket; chessweb/realtime/frames.py), header unchanged;
- paged:   pages of PAGE_ROWS rows, each its own fragment and channel: a viewer of one page gets that page when
           any of its rows changed (mean over the pages a viewer may watch; the worst page alongside);
- rows:    only the rows whose HTML changed, plus an ordering fragment listing every row's id in order.

Render CPU: the standings computation (context) and the template render, and the compression of the deflate
option (once per result, not per socket). Page: GET /tournaments/<id>/standings anonymously, with the render
cache emptied (first view) and then warm (second view), medians.

    python bench/standings_transport.py [--players 40,300,2000] [--results 5] [--seed 7]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chessweb.fide.simulation import simulate_swiss  # noqa: E402
from chessweb.fide.trf import write_trf  # noqa: E402
from chessweb.realtime.frames import deflated_text_frame, text_frame  # noqa: E402

PAGE_ROWS = 50
GOAL_BYTES = 10 * 1024  # issue 13: a 300-player standings viewer receives <= 10 KB per result
ROW = re.compile(r"<tr[ >].*?</tr>", re.S)
PNO = re.compile(r'<span class="pno">(\d+)</span>')


def rows_of(html: str) -> dict[str, str]:
    """Body rows of a standings fragment by pairing number."""
    body = html[html.index("<tbody>"):]
    return {m.group(1): row for row in ROW.findall(body) if (m := PNO.search(row))}


def option_bytes(before: str, after: str, header: str) -> dict[str, float]:
    """Bytes one standings viewer receives for one result under each option (frames included)."""
    old, new = rows_of(before), rows_of(after)
    order = list(new)
    changed = [pno for pno in order if old.get(pno) != new[pno]]
    ordering = text_frame(('<ol id="standings-order" hx-swap-oob="true" data-version="0000">'
                           + " ".join(f"r{pno}" for pno in order) + "</ol>").encode())
    rows = sum(len(text_frame(new[pno].encode())) for pno in changed) + len(ordering)
    pages = [order[i:i + PAGE_ROWS] for i in range(0, len(order), PAGE_ROWS)]
    old_order = list(old)
    page_bytes = []
    for i, page in enumerate(pages):
        moved = old_order[i * PAGE_ROWS:(i + 1) * PAGE_ROWS] != page or any(old.get(p) != new[p] for p in page)
        size = len(text_frame("".join(new[p] for p in page).encode())) + 600  # + section, thead
        page_bytes.append(size if moved else 0)
    deflated = deflated_text_frame(after.encode())
    header_frame = len(text_frame(header.encode()))
    return {"whole": len(text_frame(after.encode())) + header_frame,
            "deflate": (len(deflated) if deflated else len(text_frame(after.encode()))) + header_frame,
            "paged": statistics.mean(page_bytes) + header_frame, "paged_worst": max(page_bytes) + header_frame,
            "rows": rows + header_frame, "changed_rows": len(changed)}


def rotation_pairing(crosstable, absent):
    """A quick stand-in for the Dutch system (whose pairing of a big field is not what this measures): the
    present players by number, the first half against the second half rotated by the round, so no pair repeats
    within half the field's rounds; the odd one out gets the pairing-allocated bye."""
    from chessweb.fide.pairing import Board, Pairing

    round_no = max((len(entries) for entries in crosstable.entries.values()), default=0) + 1
    present = [p.number for p in crosstable.players if p.number not in absent
               and (p.withdrawn_from is None or p.withdrawn_from > round_no)]
    bye = present.pop() if len(present) % 2 else None
    half = len(present) // 2
    boards = tuple(Board(i + 1, *((present[i], present[half + (i + round_no) % half])[::1 if (i + round_no) % 2
                                                                                          else -1]))
                   for i in range(half))
    return Pairing(round=round_no, boards=boards, bye=bye)


def imported_event(history) -> tuple[int, int, list[tuple[int, str]]]:  # noqa: ANN001 - a simulated history
    """In the current app context: migrate, add an organizer, import the simulated event as a TRF file, and
    return (organizer id, tournament id, [(game id, result) of its last round's boards]). Shared by the
    standings benches."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from chessweb.auth.accounts import create_user
    from chessweb.extensions import db
    from chessweb.models import Game, Role, Round
    from chessweb.tournaments import interchange

    upgrade()
    organizer = create_user("bench-standings@chessweb.example", "Bench Organizer", "bench-standings-pass",
                            Role.ORGANIZER)
    db.session.commit()
    tid = interchange.import_trf(write_trf(history), organizer.id).tournament_id
    last = db.session.scalar(select(Round.id).where(Round.tournament_id == tid).order_by(Round.number.desc()))
    games = [(g.id, g.result.value) for g in db.session.scalars(
        select(Game).where(Game.round_id == last, Game.black_id.is_not(None)).order_by(Game.board))]
    oid = organizer.id
    db.session.remove()
    return oid, tid, games


def measure(players: int, results_to_enter: int, seed: int) -> dict[str, float]:

    from chessweb import create_app
    from chessweb.extensions import db
    from chessweb.live.fragments import render, url_context
    from chessweb.realtime import realtime
    from chessweb.tournaments import live, queries, render_cache, results

    # The Dutch system up to 300 players; beyond, a rotation stands in so the set-up does not take minutes.
    history = simulate_swiss(players, 7, seed, played=5, pair=None if players <= 300 else rotation_pairing)
    with tempfile.TemporaryDirectory() as workdir:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(workdir) / 'b.sqlite3'}",
                          "SECRET_KEY": "bench-standings", "BROKER_URL": "memory://"})
        try:
            with app.app_context():
                oid, tid, games = imported_event(history)
            figures: list[dict[str, float]] = []
            with app.app_context(), url_context():
                before = live.standings_fragments(tid)[0].html
                flips = {"1-0": "0-1", "0-1": "1/2-1/2", "1/2-1/2": "1-0"}
                for game_id, result in games[:results_to_enter]:
                    results.set_result(tid, game_id, flips.get(result, "1-0"), oid, "benchmark: a result corrected")
                    db.session.remove()
                    cpu = time.process_time()
                    context = queries.standings_context(tid)
                    context_s = time.process_time() - cpu
                    cpu = time.process_time()
                    render(live.FRAGMENTS, "standings", **context)
                    render_s = time.process_time() - cpu
                    after = live.standings_fragments(tid)[0].html  # what the publisher sends
                    cpu = time.process_time()
                    deflated_text_frame(after.encode())
                    deflate_s = time.process_time() - cpu
                    header = live.header_fragment(tid).html
                    row = option_bytes(before, after, header)
                    row.update(context_ms=context_s * 1000, render_ms=render_s * 1000,
                               deflate_ms=deflate_s * 1000)
                    figures.append(row)
                    before = after
                    db.session.remove()
            client = app.test_client()
            firsts, seconds = [], []
            for _ in range(3):
                with app.app_context():
                    render_cache.cache().__init__(render_cache.cache().max_bytes)  # emptied: a first view
                start = time.perf_counter()
                assert client.get(f"/tournaments/{tid}/standings").status_code == 200
                firsts.append(time.perf_counter() - start)
                start = time.perf_counter()
                assert client.get(f"/tournaments/{tid}/standings").status_code == 200
                seconds.append(time.perf_counter() - start)
        finally:
            with app.app_context():
                if "realtime" in app.extensions:
                    realtime.stop(app)
                db.session.remove()
                db.engine.dispose()
    out = {key: statistics.median(f[key] for f in figures) for key in figures[0]}
    out.update(first_ms=statistics.median(firsts) * 1000, second_ms=statistics.median(seconds) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", default="40,300,2000")
    parser.add_argument("--results", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"bytes one standings viewer receives per result (median of {args.results} results; header frame "
          f"included), and CPU per result (once per channel)")
    print(" players | whole     deflate   paged(mean/worst)    rows (changed) | context   render  deflate | "
          "page 1st   page 2nd  ratio | deflate/whole")
    for players in (int(p) for p in args.players.split(",")):
        r = measure(players, args.results, args.seed)
        print(f" {players:7d} | {r['whole'] / 1024:6.1f} KB {r['deflate'] / 1024:6.1f} KB "
              f"{r['paged'] / 1024:6.1f} /{r['paged_worst'] / 1024:6.1f} KB {r['rows'] / 1024:7.1f} KB "
              f"({r['changed_rows']:4.0f}) | {r['context_ms']:6.1f} ms {r['render_ms']:6.1f} ms "
              f"{r['deflate_ms']:5.2f} ms | {r['first_ms']:7.1f} ms {r['second_ms']:6.1f} ms "
              f"{r['first_ms'] / r['second_ms']:5.0f}x | {r['deflate'] / r['whole']:.3f}"
              f"{'  (goal <= 10 KB met)' if r['deflate'] <= GOAL_BYTES else ''}")


if __name__ == "__main__":
    main()
