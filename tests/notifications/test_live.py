"""Notifications over real sockets (the JSON format programs use, and the html htmx gets): personal notices
on user:<id>, broadcasts on role and tournament channels, the emergency alert on `alerts`, the badge in the
connect snapshot, and opting out as a refused subscription."""
from __future__ import annotations

import pytest

from chessweb.extensions import db
from chessweb.models import Notification, NotificationPreference, Role, TournamentFormat
from chessweb.realtime import realtime

from ..conftest import make_user, post_form
from ..live.test_channels import connect_sequence, open_ws, read_until, session_cookie
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

QUIET = 0.7  # how long "nothing arrives" is watched for


def nothing_more(ws) -> list[dict]:
    seen = []
    try:
        while True:
            seen.append(read_json_quick(ws))
    except TimeoutError:
        return seen


def read_json_quick(ws):
    import json
    return json.loads(ws.recv(timeout=QUIET))


@pytest.fixture
def admin(app):
    return make_user(Role.ADMIN, name="Ada Admin")


def test_the_paired_player_hears_board_and_colour_and_a_spectator_nothing(app, live_server, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    realtime.flush()
    viewer = make_user(Role.VIEWER, name="Vera Viewer")
    me = players[0]
    with open_ws(live_server, f"user:{me.id}", cookie=session_cookie(app, me)) as mine, \
            open_ws(live_server, f"user:{viewer.id}", f"tournament:{tid}:notices",
                    cookie=session_cookie(app, viewer)) as spectator:
        sequence = connect_sequence(mine)
        badge = next(m for m in sequence if m.get("key") == "notice-badge-state")
        assert badge["data"] == {"unread": 1}  # "registered": the snapshot carries the count
        connect_sequence(spectator)
        start_round(tid, organizer)
        message, before = read_until(mine, lambda m: m.get("event") == "notification" and m["data"]["kind"] == "paired")
        game = next(g for g in games_of(tid, 1) if me.id in (g.white.user_id, g.black.user_id))
        assert message["data"]["data"]["board"] == game.board
        assert message["data"]["link"] == f"/games/{game.id}"
        realtime.flush()
        badges = [m["data"]["unread"] for m in before + nothing_more(mine) if m.get("key") == "notice-badge-state"]
        assert badges and badges[-1] == 3  # registered, tournament started, paired
        assert not [m for m in nothing_more(spectator) if m.get("event") == "notification"]


def test_round_started_reaches_every_paired_player_once_live_and_in_the_inbox(app, live_server, organizer, players):
    """Publishing round 1 starts it: each paired player hears "round 1 started" once (with board, colour and
    opponent when pairing updates are on, without them when off), as a toast and in the inbox."""
    from chessweb.notifications import inbox
    db.session.get(NotificationPreference, players[1].id).pairing_updates = False
    db.session.commit()
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    realtime.flush()
    detailed, plain = players[0], players[1]
    with open_ws(live_server, f"user:{detailed.id}", cookie=session_cookie(app, detailed)) as first, \
            open_ws(live_server, f"user:{plain.id}", cookie=session_cookie(app, plain)) as second:
        connect_sequence(first)
        connect_sequence(second)
        start_round(tid, organizer)
        realtime.flush()
        heard = {who.id: [m["data"] for m in nothing_more(ws) if m.get("event") == "notification"]
                 for who, ws in ((detailed, first), (plain, second))}
    game = next(g for g in games_of(tid, 1) if detailed.id in (g.white.user_id, g.black.user_id))
    colour = "White" if game.white.user_id == detailed.id else "Black"
    round_notices = [n for n in heard[detailed.id] if n["data"].get("round") == 1]
    assert len(round_notices) == 1, heard[detailed.id]  # the pairing and the start are one notice
    toast = round_notices[0]
    assert toast["kind"] == "paired" and toast["title"] == f"Test Open: round 1 started, board {game.board}, {colour}"
    assert toast["message"].startswith("Round 1 has started. You play ") and toast["link"] == f"/games/{game.id}"
    assert toast["data"]["board"] == game.board and toast["data"]["colour"] == colour.lower()
    other = [n for n in heard[plain.id] if n["data"].get("round") == 1]
    assert len(other) == 1 and other[0]["kind"] == "round_started"
    assert other[0]["title"] == "Test Open: round 1 started" and "board" not in other[0]["data"]
    # The inbox holds the same single notice per player.
    for who, kind in ((detailed, "paired"), (plain, "round_started")):
        items = [i.notification for i in inbox.page(db.session.get(type(who), who.id))[0]]
        started = [n for n in items if "round 1 started" in n.title]
        assert [n.kind for n in started] == [kind]
        assert started[0].id == (toast["id"] if who is detailed else other[0]["id"])


def test_a_warning_to_participants_reaches_their_channel_only(app, live_server, admin, players):
    viewer = make_user(Role.VIEWER, name="Vera Viewer")
    with open_ws(live_server, "system:role:PARTICIPANT", cookie=session_cookie(app, players[0])) as participant, \
            open_ws(live_server, "system:role:VIEWER", cookie=session_cookie(app, viewer)) as watcher:
        assert connect_sequence(participant)[-1]["channels"] == ["system:role:PARTICIPANT"]
        connect_sequence(watcher)
        client = app.test_client()
        from ..conftest import AuthActions
        AuthActions(client).login(admin)
        response = post_form(client, "/admin/notifications", {"title": "Heads up", "message": "<i>mind</i> it",
                                                              "type": "WARNING", "priority": "HIGH",
                                                              "roles": ["PARTICIPANT"]})
        assert response.status_code == 303
        heard, _ = read_until(participant, lambda m: m.get("event") == "notification")
        assert heard["data"]["title"] == "Heads up" and heard["data"]["type"] == "WARNING"
        assert heard["data"]["message"] == "<i>mind</i> it"  # data is data; the html is escaped (below)
        assert not nothing_more(watcher)
    realtime.flush()
    notification = db.session.query(Notification).filter_by(title="Heads up").one()
    db.session.refresh(notification)
    # A viewer may not listen to the participants' channel.
    with open_ws(live_server, "system:role:PARTICIPANT", cookie=session_cookie(app, viewer)) as refused:
        replies = connect_sequence(refused)
        assert any(m["type"] == "error" and m.get("code") == "forbidden" for m in replies)


def test_html_clients_get_one_escaped_toast_appended_to_toasts(app, live_server, admin, players):
    with open_ws(live_server, "system:role:PARTICIPANT", fmt="html", cookie=session_cookie(app, players[0])) as ws:
        from chessweb.notifications import service
        service.send(service.Broadcast(title="<b>T</b>", message="<script>x()</script>", roles=["PARTICIPANT"]),
                     admin)
        db.session.commit()
        frame = ws.recv(timeout=10)
    assert 'hx-swap-oob="beforeend:#toasts"' in frame
    assert "<script>" not in frame and "&lt;script&gt;x()&lt;/script&gt;" in frame and "&lt;b&gt;T" in frame


def test_turning_system_alerts_off_is_a_refused_subscription(app, live_server, players):
    row = db.session.get(NotificationPreference, players[0].id)
    row.system_alerts = False
    db.session.commit()
    with open_ws(live_server, "system:role:PARTICIPANT", f"user:{players[0].id}",
                 cookie=session_cookie(app, players[0])) as ws:
        replies = connect_sequence(ws)
    assert replies[-1]["channels"] == [f"user:{players[0].id}"]


def test_system_alerts_off_refuses_the_tournament_notices_channel_but_critical_still_arrives(
        app, live_server, organizer, players, admin):
    """Opting out of system alerts is a refused subscription on `tournament:<id>:notices` too (as on the role
    channels): an organizer's announcement reaches the player who kept them on, not the one who turned them
    off; the emergency alert reaches both on `alerts`."""
    from chessweb.notifications import service
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    row = db.session.get(NotificationPreference, players[0].id)
    row.system_alerts = False
    db.session.commit()
    realtime.flush()
    notices = f"tournament:{tid}:notices"
    with open_ws(live_server, notices, "alerts", cookie=session_cookie(app, players[0])) as muted, \
            open_ws(live_server, notices, "alerts", cookie=session_cookie(app, players[1])) as hearing, \
            open_ws(live_server, notices, "alerts") as anonymous:
        replies = connect_sequence(muted)
        assert replies[-1]["channels"] == ["alerts"]
        assert any(m["type"] == "error" and m.get("code") == "forbidden" for m in replies)
        assert connect_sequence(hearing)[-1]["channels"] == [notices, "alerts"]
        assert connect_sequence(anonymous)[-1]["channels"] == [notices, "alerts"]  # no preferences to honour
        service.send(service.Broadcast(title="Round 5 starts 15 minutes late", message="Coffee first",
                                       type="WARNING", priority="HIGH", tournament_id=tid), organizer)
        db.session.commit()
        read_until(hearing, lambda m: m.get("event") == "notification")
        read_until(anonymous, lambda m: m.get("event") == "notification")
        realtime.flush()
        assert not [m for m in nothing_more(muted) if m.get("event") == "notification"]
        alert = service.send(service.Broadcast(title="Evacuate", message="Now", priority="CRITICAL"), admin)
        db.session.commit()
        for ws in (muted, hearing):
            read_until(ws, lambda m: m.get("key") == "emergency-alerts" and m["data"]["alerts"])
        service.withdraw(alert.id, admin)
        db.session.commit()


def test_real_time_off_means_no_toast_but_the_inbox_and_badge_still_count(app, live_server, organizer, players):
    row = db.session.get(NotificationPreference, players[0].id)
    row.realtime = False
    db.session.commit()
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    realtime.flush()
    with open_ws(live_server, f"user:{players[0].id}", cookie=session_cookie(app, players[0])) as ws:
        connect_sequence(ws)
        start_round(tid, organizer)
        realtime.flush()
        seen = nothing_more(ws)
    assert not [m for m in seen if m.get("event") == "notification"]
    assert seen and seen[-1]["key"] == "notice-badge-state" and seen[-1]["data"]["unread"] == 3


def test_the_emergency_alert_reaches_anonymous_sockets_and_its_withdrawal_too(app, live_server, admin):
    with open_ws(live_server, "alerts") as anonymous:
        first = connect_sequence(anonymous)
        assert next(m for m in first if m.get("key") == "emergency-alerts")["data"] == {"alerts": []}
        from chessweb.notifications import service
        alert = service.send(service.Broadcast(title="Evacuate", message="Now", priority="CRITICAL"), admin)
        db.session.commit()
        shown, _ = read_until(anonymous, lambda m: m.get("key") == "emergency-alerts" and m["data"]["alerts"])
        assert shown["data"]["alerts"][0]["title"] == "Evacuate"
        service.withdraw(alert.id, admin)
        db.session.commit()
        read_until(anonymous, lambda m: m.get("key") == "emergency-alerts" and not m["data"]["alerts"])
    # Organizers cannot withdraw an admin's alert.
    organizer = make_user(Role.ORGANIZER, name="Oz Organizer")
    with pytest.raises(service.NotificationError) as refused:
        service.withdraw(alert.id, organizer)
    assert refused.value.status == 403


def test_every_admins_recent_list_gets_a_broadcast_another_admin_sent(app, live_server, admin, players):
    """Admin A sends from the form; admin B's open notification center (socket on `admin`) gets the recent list
    with the new broadcast on top, rendered once (one fragment for the channel), then again as counts settle."""
    other = make_user(Role.ADMIN, name="Bea Admin")
    with open_ws(live_server, "admin", cookie=session_cookie(app, other)) as watching, \
            open_ws(live_server, "admin", fmt="html", cookie=session_cookie(app, other)) as page, \
            open_ws(live_server, "system:role:PARTICIPANT", cookie=session_cookie(app, players[0])) as listener:
        first = connect_sequence(watching)
        assert next(m for m in first if m.get("key") == "notice-recent")["data"] == {"rows": []}
        connect_sequence(listener)
        client = app.test_client()
        from ..conftest import AuthActions
        AuthActions(client).login(admin)
        response = post_form(client, "/admin/notifications", {"title": "<b>Counted</b>", "message": "m",
                                                              "type": "INFO", "priority": "NORMAL",
                                                              "roles": ["PARTICIPANT"]})
        assert response.status_code == 303
        sent_id = db.session.query(Notification.id).filter_by(title="<b>Counted</b>").scalar()
        db.session.rollback()  # no read transaction left open: SQLite would hold the workers' writes
        read_until(listener, lambda m: m.get("event") == "notification")
        listed, _ = read_until(watching, lambda m: m.get("key") == "notice-recent" and m["data"]["rows"])
        top = listed["data"]["rows"][0]
        assert top["notification"] == sent_id and top["targeted"] == len(players) and top["email_failed"] == 0
        # Delivered counts are written in batches; the list is pushed again once they settle.
        read_until(watching, lambda m: m.get("key") == "notice-recent" and m["data"]["rows"][0]["delivered"] == 1)
        frame = ""
        while f'id="notice-row-{sent_id}"' not in frame:
            frame = page.recv(timeout=10)
    assert '<tbody id="recent-notifications" hx-swap-oob="true">' in frame
    assert "&lt;b&gt;Counted&lt;/b&gt;" in frame and "<b>Counted" not in frame
    # Only admins hear the list.
    with open_ws(live_server, "admin", cookie=session_cookie(app, players[0])) as refused:
        assert any(m["type"] == "error" and m.get("code") == "forbidden" for m in connect_sequence(refused))


REGISTERS_AND_DIES_AT_COMMIT = """
import json, os, signal, sys
from sqlalchemy import event
from chessweb import create_app
from chessweb.extensions import db
from chessweb.tournaments import registration

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    registration.register_self(int(sys.argv[2]), int(sys.argv[3]))
    # Killed as the commit returns: this process never delivers the notice it committed.
    event.listen(db.session, "after_commit", lambda session: os.kill(os.getpid(), signal.SIGKILL))
    db.session.commit()
print("not killed")
"""


def test_a_notice_committed_by_a_process_that_died_reaches_the_player_from_another(app, app_config, live_server,
                                                                                 organizer, players):
    """Another process registers the player and is SIGKILLed at commit; this server's consumer sweep takes the
    orphaned event over and the player's open page gets the toast and the new badge."""
    import json
    import os
    import subprocess
    import sys

    from chessweb.tournaments import registration

    from .test_areas import ROOT
    tid = setup_tournament(organizer, 0)
    registration.open_registration(tid, organizer.id)
    db.session.commit()
    realtime.flush()
    me = players[0]
    with open_ws(live_server, f"user:{me.id}", cookie=session_cookie(app, me)) as mine:
        connect_sequence(mine)
        child = subprocess.run([sys.executable, "-c", REGISTERS_AND_DIES_AT_COMMIT, json.dumps(app_config),
                                str(tid), str(me.id)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               capture_output=True, text=True, timeout=60)
        assert child.returncode == -9, child.stderr
        # The dead process's claim lasts LIVE_CLAIM_SECONDS; the sweep then delivers.
        message, before = read_until(mine, lambda m: m.get("event") == "notification")
        assert message["data"]["kind"] == "registration_accepted"
        badges = [m for m in before + nothing_more(mine) if m.get("key") == "notice-badge-state"]
        assert badges and badges[-1]["data"]["unread"] == 1
