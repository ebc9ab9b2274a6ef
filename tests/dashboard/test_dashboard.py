"""/dashboard: who may see it, what each role sees, and the live fragments on tournaments:all and user:<id>
(through real sockets on a real server)."""
from __future__ import annotations


from websockets.sync.client import connect

from chessweb.extensions import db
from chessweb.models import Role, Tournament
from chessweb.realtime import realtime
from chessweb.tournaments import results

from ..conftest import make_user
from ..realtime.conftest import WAIT, recv_json, recv_until
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboard")
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]


def test_the_menu_links_the_dashboard_for_logged_in_users_only(client, login, players):
    assert 'href="/dashboard"' not in client.get("/").get_data(as_text=True)
    assert 'href="/dashboard"' in login(players[0]).get("/").get_data(as_text=True)


def test_a_player_sees_the_pairing_and_a_result_to_confirm(login, organizer, players):
    tid = setup_tournament(organizer, 4, accounts=players, name="Spring Open")
    start_round(tid, organizer)
    game = next(g for g in games_of(tid, 1) if players[0].id in (g.white.user_id, g.black.user_id))
    me_white = game.white.user_id == players[0].id
    opponent = game.black if me_white else game.white
    results.report_result(tid, game.id, "1-0", opponent.user_id)

    page = login(players[0]).get("/dashboard").get_data(as_text=True)
    assert 'id="dash-player"' in page
    assert f"board {game.board}, {'White' if me_white else 'Black'} against {opponent.name}" in page
    assert f'href="/games/{game.id}"' in page
    assert "Results waiting for you" in page and f"{opponent.name} reported <strong>1-0</strong>" in page
    assert 'id="dash-organizer"' not in page  # a participant runs nothing


def test_an_organizer_sees_missing_results_and_disputes(org_client, organizer, players):
    tid = setup_tournament(organizer, 4, accounts=players, name="Club Cup")
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    results.report_result(tid, game.id, "1-0", game.white.user_id)
    results.dispute_result(tid, game.id, game.black.user_id)

    page = org_client.get("/dashboard").get_data(as_text=True)
    row = page[page.index(f'<tr data-tournament="{tid}">', page.index('id="dash-organizer"')):]
    row = row[:row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[1].startswith("1")  # current round
    assert cells[2] == "2"  # both games of round 1 still without a result
    assert "1" in cells[3]  # one dispute
    assert f'href="/tournaments/{tid}/manage"' in row


def test_overview_counts_public_tournaments_only(login, organizer, players):
    running = setup_tournament(organizer, 4, name="Running")
    start_round(running, organizer)
    setup_tournament(organizer, 2, name="Later")
    hidden = setup_tournament(organizer, 2, name="Hidden")
    db.session.get(Tournament, hidden).is_public = False
    db.session.commit()

    page = login(players[0]).get("/dashboard").get_data(as_text=True)
    overview = page[page.index('id="dash-overview"'):]
    assert '<dd data-total="total">2</dd>' in overview
    assert '<dd data-total="active">1</dd>' in overview and '<dd data-total="upcoming">1</dd>' in overview
    assert "Hidden" not in overview
    row = overview[overview.index(f'<tr data-tournament="{running}">'):]
    assert "<td>4</td>" in row[:row.index("</tr>")]


def _ws(server, query, cookie=None):
    headers = {"Cookie": cookie} if cookie else {}
    return connect(f"{server.ws_url}/ws?{query}&format=json", additional_headers=headers, open_timeout=WAIT,
                   compression=None, legacy=True)


def _fragment(ws, key, predicate=lambda data: True):
    message, _ = recv_until(ws, lambda m: m.get("type") in ("broadcast", "user_message") and m.get("key") == key
                            and predicate(m.get("data") or {}))
    return message["data"]


def test_the_overview_is_pushed_when_the_organizer_starts_a_tournament(app, live_server, organizer):
    tid = setup_tournament(organizer, 4, name="Autumn Open")
    with _ws(live_server, "channel=tournaments:all") as ws:
        first = _fragment(ws, "dash-overview")
        assert first["totals"]["active"] == 0 and first["live"] == []
        start_round(tid, organizer)
        pushed = _fragment(ws, "dash-overview", lambda d: d["totals"]["active"] == 1)
        assert [(t["id"], t["players"], t["current_round"], t["in_progress"]) for t in pushed["live"]] == [
            (tid, 4, 1, 2)]
    realtime.stop(app)


def test_a_result_reaches_the_feed_and_the_players_own_section(app, client, auth, live_server, organizer, players):
    tid = setup_tournament(organizer, 4, accounts=players, name="Winter Open")
    start_round(tid, organizer)
    game = next(g for g in games_of(tid, 1) if players[0].id in (g.white.user_id, g.black.user_id))
    assert auth.login(players[0]).status_code in (302, 303)
    cookie = f"session={client.get_cookie('session').value}"
    with _ws(live_server, f"channel=tournaments:all&channel=user:{players[0].id}", cookie) as ws:
        mine = _fragment(ws, "dash-player")
        assert [p["game_id"] for p in mine["pairings"]] == [game.id]
        results.set_result(tid, game.id, "1/2-1/2", organizer.id)
        latest = {}  # both fragments come, in either order

        def both(message):
            if message.get("key") in ("dash-results", "dash-player"):
                latest[message["key"]] = message["data"]
            return bool(latest.get("dash-results", {}).get("results")) and "dash-player" in latest \
                and not latest["dash-player"]["pairings"]
        recv_until(ws, both)
        feed = latest["dash-results"]
        assert feed["results"][0]["game_id"] == game.id and feed["results"][0]["result"] == "1/2-1/2"
        assert [t["id"] for t in latest["dash-player"]["tournaments"]] == [tid]
    realtime.stop(app)


def test_nobody_else_receives_a_players_section(app, live_server, players):
    other = make_user(Role.PARTICIPANT)
    with _ws(live_server, f"channel=user:{other.id}") as ws:
        assert recv_json(ws)["type"] == "connected"
        _, before = recv_until(ws, lambda m: m["type"] == "subscribed")
        assert [m["code"] for m in before if m["type"] == "error"] == ["forbidden"]
        assert not any(m.get("type") == "fragment" for m in before)
    realtime.stop(app)


def test_a_report_reaches_the_organizers_section_live(app, client, auth, live_server, organizer, players):
    tid = setup_tournament(organizer, 4, accounts=players, name="Report Open")
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    assert auth.login(organizer).status_code in (302, 303)
    cookie = f"session={client.get_cookie('session').value}"
    with _ws(live_server, f"channel=user:{organizer.id}", cookie) as ws:
        first = _fragment(ws, "dash-organizer")
        assert [(t["id"], t["missing"], t["reports"]) for t in first["tournaments"]] == [(tid, 2, 0)]
        results.report_result(tid, game.id, "1-0", game.white.user_id)
        pushed = _fragment(ws, "dash-organizer", lambda d: d["tournaments"][0]["reports"] == 1)
        assert pushed["tournaments"][0]["missing"] == 2 and pushed["tournaments"][0]["disputes"] == 0
    realtime.stop(app)
