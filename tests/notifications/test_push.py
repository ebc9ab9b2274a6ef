"""Web Push end to end on the server side: a local HTTP endpoint plays the push service, checks the VAPID
header and decrypts the payload with the subscriber's keys (http_ece, RFC 8291), as a browser would."""
from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chessweb.extensions import db
from chessweb.models import NotificationPreference, PushSubscription, Role, TournamentFormat
from chessweb.notifications import push, service
from chessweb.notifications.background import background
from chessweb.realtime import realtime

from ..conftest import make_user
from ..tournaments.conftest import setup_tournament, start_round


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """Receives pushes; `gone` endpoints answer 410 as a real push service does for expired subscriptions."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.gone: set[str] = set()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(410 if self.path in service.gone else 201)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Device:
    """A browser's push keys (P-256 and a 16-byte auth secret)."""

    def __init__(self, service: PushService, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = f"{service.url}/push/{name}"
        self.p256dh = b64url(self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                                 serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def app_config(app_config):
    private, public = push.make_keys()
    return {**app_config, "VAPID_PRIVATE_KEY": private, "VAPID_PUBLIC_KEY": public,
            "VAPID_SUBJECT": "mailto:arbiter@example.org"}


def settle(app) -> None:
    realtime.flush()
    assert background(app).wait_idle(20)


def subscribe(login, user, device):
    client = login(user)
    token = client.get("/notifications/api/preferences").get_json()["csrf_token"]
    response = client.post("/notifications/api/push-subscriptions", headers={"X-CSRFToken": token},
                           json={"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh,
                                                                       "auth": b64url(device.auth)}})
    assert response.status_code == 201, response.get_json()
    return client, token


def test_a_paired_player_with_push_on_gets_the_encrypted_notice(app, login, organizer, players, push_service):
    device = Device(push_service, "pia")
    other = Device(push_service, "quentin")
    for player in players[:2]:
        db.session.get(NotificationPreference, player.id).push = True
    db.session.get(NotificationPreference, players[1].id).pairing_updates = False
    db.session.commit()
    subscribe(login, players[0], device)
    subscribe(login, players[1], other)
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN, accounts=players)
    start_round(tid, organizer)
    settle(app)
    mine = [(headers, body) for path, headers, body in push_service.received if path == "/push/pia"]
    payloads = [device.decrypt(body) for _, body in mine]
    paired = [p for p in payloads if "board" in p["title"]]
    assert len(paired) == 1 and paired[0]["url"].startswith("/games/")
    assert mine[0][0]["authorization"].startswith("vapid t=")
    assert mine[0][0]["content-encoding"] == "aes128gcm"
    assert not [b for path, _, b in push_service.received
                if path == "/push/quentin" and "board" in other.decrypt(b)["title"]]


def test_push_off_sends_nothing_and_a_gone_subscription_is_deleted(app, login, players, push_service):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    off, gone = Device(push_service, "off"), Device(push_service, "gone")
    db.session.get(NotificationPreference, players[1].id).push = True
    db.session.commit()
    subscribe(login, players[0], off)  # push stays off in the preferences
    subscribe(login, players[1], gone)
    push_service.gone.add("/push/gone")
    service.send(service.Broadcast(title="<b>Hi</b>", message="<script>x</script>", roles=["PARTICIPANT"]), admin)
    db.session.commit()
    settle(app)
    assert not [r for r in push_service.received if r[0] == "/push/off"]
    delivered = [gone.decrypt(body) for path, _, body in push_service.received if path == "/push/gone"]
    assert delivered == [{"id": delivered[0]["id"], "title": "<b>Hi</b>", "message": "<script>x</script>",
                          "url": "/notifications"}]  # plain text for showNotification, which renders no HTML
    db.session.expire_all()
    assert db.session.query(PushSubscription).filter_by(endpoint=gone.endpoint).count() == 0


def test_bad_subscriptions_are_refused(app, login, players):
    client = login(players[0])
    token = client.get("/notifications/api/preferences").get_json()["csrf_token"]
    for body in ({}, {"endpoint": "ftp://x", "keys": {"p256dh": "a" * 40, "auth": "b" * 16}},
                 {"endpoint": "https://push.example/1", "keys": {"p256dh": "short", "auth": "b" * 16}}):
        assert client.post("/notifications/api/push-subscriptions", json=body,
                           headers={"X-CSRFToken": token}).status_code == 400
    assert db.session.query(PushSubscription).count() == 0


def test_the_vapid_command_prints_a_key_pair(app):
    result = app.test_cli_runner().invoke(args=["notifications", "vapid"])
    assert result.exit_code == 0
    assert "CHESSWEB_VAPID_PRIVATE_KEY=" in result.output and "CHESSWEB_VAPID_PUBLIC_KEY=B" in result.output
