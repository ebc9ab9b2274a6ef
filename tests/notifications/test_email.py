"""Notification email through a real SMTP server (aiosmtpd) on a local port: what arrives, who gets it, and
failures counted after the retries."""
from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import Notification, NotificationPreference, Role, TournamentFormat
from chessweb.notifications import service
from chessweb.notifications.background import background
from chessweb.tournaments import registration
from chessweb.realtime import realtime

from ..conftest import free_port, make_user
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of


class Inbox:
    """aiosmtpd handler keeping every delivered message, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def app_config(app_config, smtp):
    _inbox, port = smtp
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "SITE_URL": "http://chess.test",
            "MAIL_RETRY_SECONDS": 0.05}


def settle(app) -> None:
    realtime.flush()
    assert background(app).wait_idle(20)


def test_a_paired_player_gets_an_email_with_the_game_and_preferences_links(app, smtp, organizer, players):
    inbox, _port = smtp
    row = db.session.get(NotificationPreference, players[1].id)
    row.pairing_updates = False
    row2 = db.session.get(NotificationPreference, players[2].id)
    row2.email = False
    db.session.commit()
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    settle(app)
    game = next(g for g in games_of(tid, 1) if players[0].id in (g.white.user_id, g.black.user_id))
    paired = [m for m in inbox.to(players[0].email) if "board" in m["Subject"]]
    assert len(paired) == 1
    body = paired[0].get_content()
    assert f"View game: http://chess.test/games/{game.id}" in body
    assert "http://chess.test/notifications/preferences" in body
    assert paired[0].get_content_type() == "text/plain"
    assert not [m for m in inbox.to(players[1].email) if "board" in m["Subject"]]  # pairing updates off
    assert not inbox.to(players[2].email)  # email off


def test_a_broadcast_counts_emails_sent(app, smtp, players):
    inbox, _port = smtp
    admin = make_user(Role.ADMIN, name="Ada Admin")
    notification = service.send(service.Broadcast(title="<b>Hall</b> closes", message="<script>x</script> at 9",
                                                  roles=["PARTICIPANT"]), admin)
    db.session.commit()
    settle(app)
    db.session.expire_all()
    sent = db.session.get(Notification, notification.id)
    assert (sent.email_sent, sent.email_failed) == (len(players), 0)
    message = inbox.to(players[0].email)[0]
    assert message["Subject"] == "[ChessWeb] <b>Hall</b> closes"  # plain text: nothing interprets it
    assert "<script>x</script> at 9" in message.get_content()


def test_failures_are_retried_then_counted_and_shown(app, smtp, players, login):
    _inbox, _port = smtp
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    app.extensions["mailman"].port = app.config["MAIL_PORT"]
    admin = make_user(Role.ADMIN, name="Ada Admin")
    notification = service.send(service.Broadcast(title="Hello", message="m", user_ids=[players[0].id]), admin)
    db.session.commit()
    settle(app)
    db.session.expire_all()
    assert db.session.get(Notification, notification.id).email_failed == 1
    page = login(admin).get("/admin/notifications").get_data(as_text=True)
    assert "1 failed" in page
    assert db.session.scalar(select(Notification.email_sent).where(Notification.id == notification.id)) == 0


KILLED_MID_BATCH = """
import json, os, signal, sys
import flask_mailman
from chessweb import create_app
from chessweb.notifications import mail

sent = 0
real_send = flask_mailman.EmailMessage.send


def send_then_die(self, *args, **kwargs):
    # The worker dies right after the SMTP server took the second message, before it could record that.
    global sent
    result = real_send(self, *args, **kwargs)
    sent += 1
    if sent == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return result


flask_mailman.EmailMessage.send = send_then_die
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    mail.send_batch(int(sys.argv[2]), json.loads(sys.argv[3]))
print("not killed")
"""


def test_a_batch_killed_half_way_and_retried_emails_nobody_twice(app, app_config, smtp):
    """A real SMTP server; the worker sending a broadcast's batch is SIGKILLed after two messages went out
    (the second not yet recorded); the retry of the batch sends the rest, and nobody gets a message twice."""
    import json
    import os
    import subprocess
    import sys

    from chessweb.notifications import mail

    from .test_areas import ROOT
    inbox, _port = smtp
    admin = make_user(Role.ADMIN, name="Ada Admin")
    users = [make_user(Role.PARTICIPANT, name=f"Player {i}") for i in range(5)]
    app.config["MAIL_SERVER"] = None  # stored only: the batch is run by hand below, not by this app's worker
    notification = service.send(service.Broadcast(title="Hall closes", message="at 9",
                                                  user_ids=[u.id for u in users]), admin)
    db.session.commit()
    settle(app)
    assert not inbox.messages
    app.config["MAIL_SERVER"] = "127.0.0.1"
    ids = [u.id for u in users]
    child = subprocess.run([sys.executable, "-c", KILLED_MID_BATCH, json.dumps(app_config), str(notification.id),
                            json.dumps(ids)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, child.stderr  # SIGKILL, half-way
    assert [len(inbox.to(u.email)) for u in users] == [1, 1, 0, 0, 0]
    app.config["MAIL_CLAIM_SECONDS"] = 0  # the dead worker's claim is stale at once
    mail.send_batch(notification.id, ids)  # the retry
    mail.send_batch(notification.id, ids)  # and one more, for good measure: nothing left to send
    settle(app)
    assert [len(inbox.to(u.email)) for u in users] == [1, 1, 1, 1, 1]
    db.session.expire_all()
    counted = db.session.get(Notification, notification.id)
    # The interrupted send is counted failed: whether it arrived is unknown to the worker, so it is not resent.
    assert (counted.email_sent, counted.email_failed) == (4, 1)


DIES_AS_IT_COMMITS = """
import json, os, signal, sys
from sqlalchemy import event
from chessweb import create_app
from chessweb.extensions import db
from chessweb.models import User
from chessweb.notifications import service
from chessweb.tournaments import registration

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    admin = db.session.get(User, int(sys.argv[2]))
    ids = json.loads(sys.argv[3])
    service.send(service.Broadcast(title="Hall closes", message="at 9", user_ids=ids[:-1]), admin)
    registration.register_self(int(sys.argv[4]), ids[-1])  # a personal notice: "registration accepted"
    # The process dies as the commit returns: before its after-commit jobs, its consumer or any email batch.
    event.listen(db.session, "after_commit", lambda session: os.kill(os.getpid(), signal.SIGKILL))
    db.session.commit()
print("not killed")
"""


def test_email_owed_by_a_process_that_died_at_commit_is_sent_by_another_ones_sweep(app, app_config, smtp,
                                                                                   organizer):
    """A broadcast and a personal notice are committed by a process that is SIGKILLed at once. Nothing was
    sent; another process's sweep sends every email, exactly once, and a second sweep finds nothing owed."""
    import json
    import os
    import subprocess
    import sys

    from chessweb.notifications import outgoing

    from .test_areas import ROOT
    inbox, _port = smtp
    admin = make_user(Role.ADMIN, name="Ada Admin")
    users = [make_user(Role.PARTICIPANT, name=f"Player {i}") for i in range(4)]
    tid = setup_tournament(organizer, 0)
    registration.open_registration(tid, organizer.id)
    db.session.commit()
    child = subprocess.run([sys.executable, "-c", DIES_AS_IT_COMMITS, json.dumps(app_config), str(admin.id),
                            json.dumps([u.id for u in users]), str(tid)], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, child.stderr
    assert not inbox.messages
    owed = db.session.scalars(select(Notification).where(Notification.outgoing_due.is_(True))).all()
    assert len(owed) == 2
    assert outgoing.sweep() == 0  # within the grace period the sender may still be alive: left alone
    app.config["OUTGOING_GRACE_SECONDS"] = 0
    assert outgoing.sweep() >= 1  # (this app's consumer sweep may have taken the broadcast first)
    settle(app)
    assert [len(inbox.to(u.email)) for u in users] == [1, 1, 1, 1]
    assert inbox.to(users[3].email)[0]["Subject"] == "[ChessWeb] Registered for Test Open"
    db.session.expire_all()
    assert not db.session.scalars(select(Notification).where(Notification.outgoing_due.is_(True))).all()
    assert outgoing.sweep() == 0
    settle(app)
    assert len(inbox.messages) == 4


def test_a_lease_held_by_a_live_sender_is_respected_and_a_withdrawn_broadcast_is_not_emailed(app, smtp, players):
    from datetime import timedelta

    from chessweb.models import utcnow
    from chessweb.notifications import outgoing
    inbox, _port = smtp
    app.config["OUTGOING_GRACE_SECONDS"] = 0
    admin = make_user(Role.ADMIN, name="Ada Admin")
    app.config["MAIL_SERVER"] = None  # stored only, as if the sender were still busy with it
    held = service.send(service.Broadcast(title="Held", message="m", user_ids=[players[0].id]), admin)
    withdrawn = service.send(service.Broadcast(title="Gone", message="m", user_ids=[players[1].id]), admin)
    held.outgoing_due = withdrawn.outgoing_due = True
    held.outgoing_lease_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    service.withdraw(withdrawn.id, admin)
    db.session.commit()
    settle(app)
    app.config["MAIL_SERVER"] = "127.0.0.1"
    assert outgoing.sweep() == 0  # the held one is leased; the withdrawn one is dropped, not sent
    settle(app)
    assert not inbox.messages
    db.session.expire_all()
    assert not db.session.get(Notification, withdrawn.id).outgoing_due
    db.session.get(Notification, held.id).outgoing_lease_until = utcnow() - timedelta(seconds=1)  # sender died
    db.session.commit()
    assert outgoing.sweep() == 1
    settle(app)
    assert [m["Subject"] for m in inbox.messages] == ["[ChessWeb] Held"]
