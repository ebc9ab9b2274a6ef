"""Public pages of big events come from the render cache per tournament revision: a second view is a lookup,
and a page at a new revision is never served the old render (anonymous-heavy-page-cpu)."""
from __future__ import annotations

import re

from chessweb.tournaments import queries, render_cache, results

from .conftest import setup_tournament, start_round
from .helpers import games_of, queries_of_this_thread



def test_a_second_view_of_the_standings_is_a_lookup_and_a_new_revision_renders_afresh(app, organizer, client):
    tid = setup_tournament(organizer, 8)
    start_round(tid, organizer)
    first = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    store = render_cache.cache()
    hits = store.hits
    with queries_of_this_thread() as statements:
        second = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert store.hits == hits + 3  # the standings, the provisional standings and the header
    heavy = [s for s in statements if re.search(r"FROM (registration|round|game)\b", s)]
    assert heavy == []  # the tournament row only: no players, rounds or games read
    # The CSRF token, the CSP nonce and the server time the page was made at (for countdowns).
    strip = re.compile(r'[\w-]{20,}\.[\w-]+\.[\w-]+|nonce="[^"]*"|name="server-time" content="\d+"')
    assert strip.sub("", first) == strip.sub("", second)

    revision = queries.load_tournament(tid).revision
    game = games_of(tid, 1)[0]
    results.set_result(tid, game.id, "1-0", organizer.id)  # a new revision
    after = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert f'data-version="{revision}"' not in after
    newer = queries.load_tournament(tid).revision
    assert newer > revision and f'<section id="standings-{tid}" hx-swap-oob="true" data-version="{newer}"' in after
    assert "1-0" not in first and ">1</" in after  # the finished game's point shows
    assert f"since={newer}" in after


def test_htmx_requests_and_the_scoreboard_share_the_cache(app, organizer, client):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    page = client.get(f"/tournaments/{tid}/scoreboard").get_data(as_text=True)
    with queries_of_this_thread() as statements:
        fragment = client.get(f"/tournaments/{tid}/scoreboard", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [s for s in statements if re.search(r"FROM (registration|round|game)\b", s)] == []
    assert fragment.startswith(f'<section id="scoreboard-{tid}"') and fragment in page
    results.set_result(tid, games_of(tid, 1)[0].id, "0-1", organizer.id)
    fresh = client.get(f"/tournaments/{tid}/scoreboard", headers={"HX-Request": "true"}).get_data(as_text=True)
    newer = queries.load_tournament(tid).revision
    assert fresh.startswith(f'<section id="scoreboard-{tid}" hx-swap-oob="true" data-version="{newer}"')
    assert fresh.count("<strong>") == fragment.count("<strong>") + 1  # the new result shows


def test_a_swiss_crosstable_is_cached_too(app, organizer, client):
    tid = setup_tournament(organizer, 8)
    start_round(tid, organizer)
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    first = client.get(f"/tournaments/{tid}/crosstable").get_data(as_text=True)
    assert f'id="swiss-crosstable-{tid}"' in first
    with queries_of_this_thread() as statements:
        fragment = client.get(f"/tournaments/{tid}/crosstable", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [s for s in statements if re.search(r"FROM (registration|round|game)\b", s)] == []
    assert fragment.startswith(f'<section id="swiss-crosstable-{tid}"') and fragment in first


def test_a_second_download_of_an_export_is_a_lookup_and_a_new_revision_writes_afresh(app, organizer, client):
    tid = setup_tournament(organizer, 8)
    start_round(tid, organizer)
    first = {}
    for export in ("games.pgn", "export.trf"):
        first[export] = client.get(f"/tournaments/{tid}/{export}").get_data(as_text=True)
        with queries_of_this_thread() as statements:
            second = client.get(f"/tournaments/{tid}/{export}").get_data(as_text=True)
        assert [s for s in statements if re.search(r"FROM (registration|round|game)\b", s)] == [], export
        assert second == first[export]
    results.set_result(tid, games_of(tid, 1)[0].id, "1-0", organizer.id)
    assert '[Result "1-0"]' not in first["games.pgn"]
    assert '[Result "1-0"]' in client.get(f"/tournaments/{tid}/games.pgn").get_data(as_text=True)


def test_the_live_layer_fills_the_cache_the_pages_read(app, organizer, client):
    from chessweb.live.fragments import url_context
    from chessweb.tournaments import live

    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    with url_context():
        pushed = live.standings_fragments(tid)[0]
    store = render_cache.cache()
    assert store.get((tid, pushed.version, "standings")) == pushed.html
    hits = store.hits
    page = client.get(f"/tournaments/{tid}/standings").get_data(as_text=True)
    assert store.hits >= hits + 1 and pushed.html in page  # the push's render, byte for byte


def test_the_cache_keeps_to_its_budget_and_drops_the_least_recently_used():
    store = render_cache.RenderCache(max_bytes=1000)
    store.put((1, 1, "a"), "x" * 200)
    store.put((1, 2, "a"), "y" * 200)
    assert store.get((1, 1, "a")) == "x" * 200  # now the most recently used
    for n in range(3, 7):
        store.put((1, n, "a"), "z" * 200)
    assert store.size <= 1000
    assert store.get((1, 2, "a")) is None and store.get((1, 1, "a")) is None or store.get((1, 6, "a")) is not None
    store.put((2, 1, "big"), "b" * 300)  # more than a quarter of the budget: not kept
    assert store.get((2, 1, "big")) is None
    assert render_cache.RenderCache(0).get_or_render((1, 1, "a"), lambda: "r") == "r"
