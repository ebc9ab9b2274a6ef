"""The inbox, the preferences (page and JSON) and the notification center, through the real forms."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import (Notification, NotificationAudience, NotificationPreference, RealtimeEvent, Role,
                             TournamentFormat, User)
from chessweb.realtime import realtime

from ..conftest import csrf_token, make_user, post_form
from ..tournaments.conftest import setup_tournament, start_round


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (Notification, NotificationAudience, RealtimeEvent))  # type: ignore[return-value]


@pytest.fixture
def admin(app):
    return make_user(Role.ADMIN, name="Ada Admin")


def send(client, **fields):
    data = {"title": "Hello", "message": "Round 5 starts 15 minutes late", "type": "INFO", "priority": "NORMAL",
            **fields}
    return post_form(client, "/admin/notifications", data, form_url="/admin/notifications")


def test_every_page_shows_the_badge_and_the_inbox_lists_newest_first(app, login, organizer, players):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    client = login(players[0])
    page = client.get("/").get_data(as_text=True)
    assert 'id="notice-badge"' in page and 'Inbox 3 unread' in page
    inbox_page = client.get("/notifications").get_data(as_text=True)
    assert inbox_page.index("round 1 started, board") < inbox_page.index("Registered for")
    assert "View game" in inbox_page
    response = post_form(client, "/notifications/read-all", {}, form_url="/notifications")
    assert response.status_code == 303
    assert "Inbox 0 unread" in client.get("/").get_data(as_text=True)
    assert client.get("/notifications?page=x").status_code == 400


def test_preferences_form_and_json(app, login, players):
    client = login(players[0])
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Email is off on this server" in page
    api = client.get("/notifications/api/preferences").get_json()
    assert api["preferences"] == {"game_results": True, "tournament_updates": True, "standings_changes": True,
                                  "pairing_updates": True, "system_alerts": True, "realtime": True,
                                  "email": True, "push": False}
    assert api["email_enabled"] is False
    token = api["csrf_token"]
    bad = client.put("/notifications/api/preferences", json={"pairing_updates": "no"},
                     headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and "true or false" in bad.get_json()["error"]
    assert client.put("/notifications/api/preferences", json={"colour": True},
                      headers={"X-CSRFToken": token}).status_code == 400
    assert client.put("/notifications/api/preferences", json={"push": True}).status_code == 400  # no CSRF token
    ok = client.put("/notifications/api/preferences", json={"pairing_updates": False}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["preferences"]["pairing_updates"] is False
    # The form: every switch it does not send is off.
    response = post_form(client, "/notifications/preferences", {"game_results": "y", "realtime": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(NotificationPreference, players[0].id)
    assert (row.game_results, row.pairing_updates, row.realtime, row.email) == (True, False, True, False)
    listed = client.get("/notifications/api/notifications").get_json()
    assert listed["unread"] == 0 and listed["notifications"] == []


def test_a_broadcast_to_a_role_writes_a_handful_of_rows_whatever_the_audience(app, login, admin):
    for i in range(30):
        db.session.add(User(email=f"p{i}@example.org", display_name=f"P {i}", password_hash="x",
                            role=Role.PARTICIPANT))
    db.session.commit()
    client = login(admin)
    before = counts()
    response = send(client, type="WARNING", roles=["PARTICIPANT"])
    assert response.status_code == 303, response.get_data(as_text=True)
    after = counts()
    assert tuple(a - b for a, b in zip(after, before)) == (1, 1, 1)
    realtime.flush()
    notification = db.session.scalar(select(Notification).order_by(Notification.id.desc()))
    db.session.refresh(notification)
    assert notification.targeted_count == 30
    participant = db.session.scalar(select(User).where(User.email == "p3@example.org"))
    from chessweb.notifications import inbox
    assert [i.notification.id for i in inbox.page(participant)[0]] == [notification.id]
    assert inbox.page(admin)[0] == []
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert f'id="notice-row-{notification.id}"' in page and "role PARTICIPANT" in page


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Give the notification a title."),
    ({"title": "x" * 121}, "120"),
    ({"message": ""}, "Write a message."),
    ({"message": "x" * 2001}, "2000"),
    ({"type": "SHOUT", "roles": ["VIEWER"]}, "Not a valid choice"),
    ({"roles": ["KING"]}, "Unknown role"),
    ({"users": "999999"}, "No user with id 999999"),
    ({"users": "1; DROP"}, "User ids are numbers"),
    ({}, "Choose whom to send it to"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_written(app, login, admin, fields, message):
    client = login(admin)
    before = counts()
    response = send(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_who_may_send(app, login, admin, organizer, players):
    mine = setup_tournament(organizer, 2, TournamentFormat.ROUND_ROBIN, accounts=players[:2])
    other = make_user(Role.ORGANIZER, name="Otto Other")
    foreign = setup_tournament(other, 2, TournamentFormat.ROUND_ROBIN, name="Other Open")
    before = counts()
    assert send(login(players[0]), roles=["VIEWER"]).status_code == 403
    org = login(organizer)
    refused = send(org, tournament=str(foreign))
    assert refused.status_code == 403 and "not yours" in refused.get_data(as_text=True)
    assert send(org, roles=["PARTICIPANT"]).status_code == 403
    assert send(org, priority="CRITICAL", tournament=str(mine)).status_code == 403
    no_token = org.post("/admin/notifications", data={"title": "t", "message": "m", "type": "INFO",
                                                       "priority": "NORMAL", "tournament": str(mine)})
    assert no_token.status_code == 400
    assert counts() == before
    assert send(org, tournament=str(mine)).status_code == 303
    # The menus differ.
    assert "Notify players" in org.get("/").get_data(as_text=True)
    admin_page = login(admin).get("/").get_data(as_text=True)
    assert "Notification center" in admin_page and "Notify players" not in admin_page


def test_html_in_a_message_is_escaped_in_pages(app, login, admin, players):
    client = login(admin)
    assert send(client, title="<b>bold</b>", message="<script>alert(1)</script>",
                users=str(players[0].id)).status_code == 303
    realtime.flush()
    page = login(players[0]).get("/notifications").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in client.get("/admin/notifications").get_data(as_text=True)


def test_critical_alert_banner_on_every_page_until_withdrawn_or_dismissed(app, login, admin, client):
    admin_client = login(admin)
    assert send(admin_client, priority="CRITICAL", title="Fire drill", message="Leave the hall").status_code == 303
    realtime.flush()
    assert "Fire drill" in client.get("/auth/login").get_data(as_text=True)  # anonymous
    alert = db.session.scalar(select(Notification).where(Notification.title == "Fire drill"))
    token = csrf_token(client, "/auth/login")
    assert client.post(f"/alerts/{alert.id}/dismiss", data={"csrf_token": token}).status_code == 303
    assert "Fire drill" not in client.get("/auth/login").get_data(as_text=True)
    other = app.test_client()
    assert "Fire drill" in other.get("/").get_data(as_text=True)
    assert post_form(admin_client, f"/admin/notifications/{alert.id}/withdraw", {},
                     form_url="/admin/notifications").status_code == 303
    assert "Fire drill" not in other.get("/").get_data(as_text=True)


def test_read_counts_only_targeted_readers_and_organizers_cannot_look_people_up(app, login, admin, organizer,
                                                                               players):
    from chessweb.notifications import inbox, service
    notification = service.send(service.Broadcast(title="T", message="M", roles=["PARTICIPANT"]), admin)
    service.send(service.Broadcast(title="Later", message="M", roles=["ORGANIZER"]), admin)
    db.session.commit()
    realtime.flush()
    for user in (players[0], organizer):  # the organizer is not targeted: their mark does not count
        inbox.mark_all_read(user)
    inbox.mark_read(players[1], notification.id)
    db.session.commit()
    assert inbox.read_count(notification) == 2
    page = login(organizer).get(f"/admin/notifications?q={players[0].email}").get_data(as_text=True)
    assert players[0].email not in page
    assert login(organizer).get("/admin/notifications/users?q=pia").status_code == 403
    found = login(admin).get("/admin/notifications/users?q=pia").get_json()["users"]
    assert [u["email"] for u in found] == [players[0].email]


def test_a_notice_answers_only_the_report_it_showed_confirm_or_dispute(app, login, organizer, players):
    from chessweb.models import Game
    from chessweb.tournaments import results

    from ..tournaments.helpers import games_of
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    game = games_of(tid, 1)[0]
    white, black = game.white.user_id, game.black.user_id
    results.report_result(tid, game.id, "1-0", white)
    results.report_result(tid, game.id, "0-1", white)  # the reporter changed their mind
    db.session.expire_all()
    old, new = db.session.scalars(select(Notification).where(Notification.recipient_id == black,
                                                             Notification.kind == "result_reported")
                                  .order_by(Notification.id)).all()
    client = login(next(p for p in players if p.id == black))
    # The first notice showed 1-0: confirming it would confirm a result the player never saw.
    stale = post_form(client, f"/notifications/{old.id}/confirm", {}, form_url="/notifications")
    assert stale.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Game, game.id).result.is_final
    assert "changed" in client.get("/notifications").get_data(as_text=True).lower()
    # The current one can be disputed, from the inbox without JavaScript.
    assert f'action="/notifications/{new.id}/dispute"' in client.get("/notifications").get_data(as_text=True)
    disputed = post_form(client, f"/notifications/{new.id}/dispute", {}, form_url="/notifications")
    assert disputed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Game, game.id).disputed
