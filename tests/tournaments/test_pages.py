"""Scoreboard, standings and crosstable pages; fragments rendered alone, for htmx and for the live publisher."""
from __future__ import annotations

import re

from flask import get_template_attribute

from chessweb.extensions import db
from chessweb.models import TournamentFormat
from chessweb.realtime import realtime
from chessweb.tournaments import queries, results

from .conftest import setup_tournament, start_round
from .helpers import games_of, queries_of_this_thread


def play(tid: int, number: int, organizer, pattern: str = "1-0") -> None:
    for game in games_of(tid, number):
        if not game.result.is_final:
            results.set_result(tid, game.id, pattern, organizer.id)



def test_scoreboard_lists_the_current_round_first(organizer, client):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    play(tid, 1, organizer)
    start_round(tid, organizer)
    html = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    assert html.index(f'id="scoreboard-{tid}-round-2"') < html.index(f'id="scoreboard-{tid}-round-1"')
    assert "0 of 3 results" in html and "complete" in html
    assert '<div class="overflow-auto" tabindex="0" role="region"' in html  # keyboard-reachable scroll region


def test_standings_show_points_tiebreaks_and_rank_changes(organizer, client):
    tid = setup_tournament(organizer, 6)
    for number in (1, 2):
        start_round(tid, organizer)
        play(tid, number, organizer, "0-1" if number == 1 else "1-0")
    html = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    header = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert [m for m in re.findall(r"<abbr title=\"[^\"]+\">([A-Z0-9-]+)</abbr>", header)] == ["BH-C1", "BH", "SB"]
    assert "After round 2" in html and "arrows compare with round 1" in html
    assert "rank-up" in html or "rank-down" in html
    context = queries.standings_context(tid)
    assert [row.rank for row in context["rows"]][0] == 1
    assert sum(row.points for row in context["rows"]) == 6  # three decided games per round
    start_round(tid, organizer)
    first = games_of(tid, 3)[0]
    results.set_result(tid, first.id, "1-0", organizer.id)
    live = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert "After round 2" in live and ">Live</abbr>" in live


def test_crosstable_for_round_robins(organizer, client):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    start_round(tid, organizer)
    play(tid, 1, organizer, "1/2-1/2")
    context = queries.crosstable_context(tid)
    cells = [row.cells for row in context["rows"]]
    assert [c[i] for i, c in enumerate(cells)] == ["■"] * 4
    assert sum(c.count("½") for c in cells) == 4
    html = client.get(f"/tournaments/{tid}/crosstable").get_data(as_text=True)
    assert f'id="crosstable-{tid}"' in html
    swiss = setup_tournament(organizer, 2, name="Swiss")
    page = client.get(f"/tournaments/{swiss}/crosstable")  # a Swiss gets the chess-results style table
    assert page.status_code == 200 and f'id="swiss-crosstable-{swiss}"' in page.get_data(as_text=True)


def test_htmx_gets_only_the_fragment(organizer, client):
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    for path, root in [("standings", f'<section id="standings-{tid}"'),
                       ("scoreboard", f'<section id="scoreboard-{tid}"')]:
        page = client.get(f"/tournaments/{tid}/{path}")
        fragment = client.get(f"/tournaments/{tid}/{path}", headers={"HX-Request": "true"})
        assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
        assert "<html" in page.get_data(as_text=True)
        assert fragment.get_data(as_text=True).strip().startswith(root)


def test_every_fragment_renders_without_a_request_user(app, organizer, players):
    """What the live publisher does: render each macro from its context, with no request at all."""
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players[:2])
    start_round(tid, organizer)
    play(tid, 1, organizer)
    start_round(tid, organizer)
    game_id = games_of(tid, 2)[0].id
    fragments = {
        "header": (queries.header_context(tid), f'id="tournament-header-{tid}"'),
        "registrations": (queries.registrations_context(tid), f'id="registrations-{tid}"'),
        "scoreboard": (queries.scoreboard_context(tid), f'id="scoreboard-{tid}"'),
        "scoreboard_round": (queries.scoreboard_round_context(tid, 2), f'id="scoreboard-{tid}-round-2"'),
        "standings": (queries.standings_context(tid), f'id="standings-{tid}"'),
        "crosstable": (queries.crosstable_context(tid), f'id="crosstable-{tid}"'),
        "game": (queries.game_context(game_id), f'id="game-{game_id}"'),
    }
    from flask import has_request_context
    assert not has_request_context()
    for name, (context, root) in fragments.items():
        html = str(get_template_attribute("tournaments/_fragments.html", name)(**context))
        assert root in html and 'hx-swap-oob="true"' in html, name
        assert "Olga Organizer" not in html  # nothing about whoever is looking
    pia = players[0].id
    assert f'data-user="{pia}"' in str(get_template_attribute("tournaments/_fragments.html", "standings")(
        **fragments["standings"][0]))


def test_read_models_do_not_grow_queries_with_the_field(organizer):
    counts = []
    for size in (4, 12):
        tid = setup_tournament(organizer, size, name=f"Size {size}")
        start_round(tid, organizer)
        play(tid, 1, organizer)
        start_round(tid, organizer)
        realtime.flush()  # the live publisher's queries run in its own thread; keep them out of the count
        db.session.expire_all()
        with queries_of_this_thread() as statements:
            queries.standings_context(tid)
            queries.scoreboard_context(tid)
            queries.registrations_context(tid)
            queries.header_context(tid)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 18  # four read models, at most five queries each


def test_each_page_loads_the_tournament_once(organizer, players, login):
    """A page builds its header, fragments and the viewer's own games from one load of rounds and games."""
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players[:2])
    start_round(tid, organizer)
    realtime.flush()
    viewers = {"player": login(players[0]), "organizer": login(organizer)}
    pages = {"player": ("", "/scoreboard", "/standings", "/crosstable"),
             "organizer": ("/manage", "/rounds/1")}
    for who, paths in pages.items():
        for path in paths:
            with queries_of_this_thread() as statements:
                assert viewers[who].get(f"/tournaments/{tid}{path}").status_code == 200
            rounds_loaded = [s for s in statements if re.search(r"\bFROM round\b", s)]
            assert len(rounds_loaded) == 1, (path, len(rounds_loaded))


def test_pages_need_no_javascript(organizer, org_client):
    """Every action is a plain form POST; where htmx enhances a form, its action does the same without it."""
    tid = setup_tournament(organizer, 4)
    start_round(tid, organizer)
    enhanced = 0
    for path in ("/manage", "/rounds/1", "/scoreboard", "/standings", ""):
        html = org_client.get(f"/tournaments/{tid}{path}").get_data(as_text=True)
        for form in re.findall(r"<form[^>]*>", html):
            if 'role="search"' in form:  # a search reads: a plain GET form
                assert 'method="get"' in form, form
                continue
            assert 'method="post"' in form, form
            hx = re.search(r'hx-post="([^"]+)"', form)
            if hx:
                enhanced += 1
                assert f'action="{hx.group(1)}"' in form, form
        assert not re.search(r"<(a|button|div)[^>]*hx-(get|post)", html)  # links and buttons are plain
    assert enhanced == 2  # the two result rows of round 1
