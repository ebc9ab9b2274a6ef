"""Webhooks end to end: an organizer registers a URL on the page; committed tournament events reach a real local
HTTP receiver that checks each HMAC signature and timestamp itself; a receiver that fails twice gets the
delivery on the third try; the log shows it and "Redeliver" sends it again."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import Role
from chessweb.tournaments import results
from chessweb.webhooks import signing
from chessweb.webhooks.models import WebhookDelivery

from ..conftest import make_user, post_form
from ..tournaments.conftest import setup_tournament, start_round
from ..tournaments.helpers import games_of

WAIT = 15.0


class Receiver:
    """A real HTTP server on a free local port: verifies every request as a receiver should, records the good
    ones, and answers 500 to the first `fail_first` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.secret = ""
        self.fail_first = fail_first
        self.requests = 0
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                problem = receiver.check(body, self.headers)
                receiver.requests += 1
                if problem:
                    receiver.rejected.append(problem)
                    status = 401
                elif receiver.requests <= receiver.fail_first:
                    status = 500
                else:
                    receiver.received.append({"body": json.loads(body), "delivery": self.headers["X-ChessWeb-Delivery"],
                                              "event": self.headers["X-ChessWeb-Event"]})
                    status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/chess"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def check(self, body: bytes, headers: Any) -> str | None:
        """The receiver's own check (written here from the documented scheme, not by calling ChessWeb's code)."""
        timestamp, signed = headers.get("X-ChessWeb-Timestamp", ""), headers.get("X-ChessWeb-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return "stale or missing timestamp"
        expected = "v1=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(expected, signed) else "bad signature"

    def wait_for(self, predicate: Any, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}; got {self.received}, {self.rejected}"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # The receivers here listen on 127.0.0.1, which webhooks refuse by default (test_addresses.py).
    return {**app_config, "WEBHOOK_BACKOFF_SECONDS": 0.2, "WEBHOOK_POLL_SECONDS": 0.2,
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}


@pytest.fixture
def organizer(app):
    yield make_user(Role.ORGANIZER)
    app.extensions["webhook_sender"].stop()  # the sender thread ends with the test's app


def register(client, auth, organizer, url: str, events: list[str]) -> str:
    auth.login(organizer)
    response = post_form(client, "/settings/webhooks", {"url": url, "tournament": "", "events": events})
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    return re.search(r'id="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_events_reach_a_receiver_signed(client, auth, organizer, receiver, live_server):
    receiver.secret = register(client, auth, organizer, receiver.url,
                               ["round.published", "result.final", "standings.changed", "tournament.finished"])
    tid = setup_tournament(organizer, 4, rounds_planned=1)
    start_round(tid, organizer)
    for game in games_of(tid, 1):
        results.set_result(tid, game.id, "1-0", organizer.id)
    receiver.wait_for(lambda: {"round.published", "result.final", "standings.changed", "tournament.finished"}
                      <= {r["event"] for r in receiver.received}, "every kind of event")
    assert not receiver.rejected
    finals = [r["body"] for r in receiver.received if r["event"] == "result.final"]
    assert len(finals) == 2 and all(b["tournament"] == tid and b["data"]["result"] == "1-0" for b in finals)
    # The receiver answers before the sender writes down the answer: wait for the log.
    receiver.wait_for(lambda: all(d.status == "delivered" for d in deliveries()), "the log to say delivered")
    assert all(d.attempts == 1 for d in deliveries())
    # At least once, and each delivery id once here: no duplicates without a failure.
    assert len({r["delivery"] for r in receiver.received}) == len(receiver.received)


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try_then_again_on_redeliver(client, auth, organizer,
                                                                                      live_server):
    flaky = Receiver(fail_first=2)
    try:
        flaky.secret = register(client, auth, organizer, flaky.url, ["round.published"])
        tid = setup_tournament(organizer, 4)
        start_round(tid, organizer)
        flaky.wait_for(lambda: flaky.received, "the third try")
        flaky.wait_for(lambda: deliveries()[0].status == "delivered", "the log to say delivered")
        [delivery] = deliveries()
        assert flaky.requests == 3 and delivery.status == "delivered" and delivery.attempts == 3
        assert flaky.received[0]["body"]["type"] == "round.published"
        page = client.get(f"/settings/webhooks/{delivery.endpoint_id}").get_data(as_text=True)
        assert "delivered" in page and "Redeliver" in page
        response = post_form(client, f"/settings/webhooks/{delivery.endpoint_id}/deliveries/{delivery.id}/redeliver",
                             {}, form_url=f"/settings/webhooks/{delivery.endpoint_id}")
        assert response.status_code == 302
        flaky.wait_for(lambda: len(flaky.received) == 2, "the redelivery")
        assert flaky.received[1]["delivery"] == str(delivery.id)
    finally:
        flaky.stop()


def test_a_receiver_that_never_answers_well_ends_failed_after_the_last_try(app, client, auth, organizer,
                                                                          live_server):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    down = Receiver(fail_first=100)
    try:
        down.secret = register(client, auth, organizer, down.url, ["round.published"])
        tid = setup_tournament(organizer, 4)
        start_round(tid, organizer)
        down.wait_for(lambda: deliveries() and deliveries()[0].status == "failed", "the last try")
        assert down.requests == 3 and deliveries()[0].last_status_code == 500
    finally:
        down.stop()


def test_a_signature_is_refused_when_replayed_late_or_tampered():
    body = b'{"type":"result.final"}'
    headers = signing.headers("whsec_x", body, 1, "result.final", now=1_000_000)
    ts, signed = headers["X-ChessWeb-Timestamp"], headers["X-ChessWeb-Signature"]
    assert signing.verify("whsec_x", body, ts, signed, now=1_000_010)
    assert not signing.verify("whsec_x", body, ts, signed, now=1_000_000 + 301)  # a replay, later
    assert not signing.verify("whsec_x", body + b" ", ts, signed, now=1_000_010)
    assert not signing.verify("whsec_y", body, ts, signed, now=1_000_010)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "not a url", "", "http://"])
def test_a_bad_url_is_refused_and_nothing_is_stored(client, auth, organizer, url):
    auth.login(organizer)
    response = post_form(client, "/settings/webhooks", {"url": url, "tournament": "", "events": ["result.final"]})
    assert response.status_code == 422
    from chessweb.webhooks.models import WebhookEndpoint
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_another_organizers_log_is_not_shown(client, auth, organizer, receiver):
    register(client, auth, organizer, receiver.url, ["result.final"])
    auth.logout()
    auth.login(make_user(Role.ORGANIZER))
    from chessweb.webhooks.models import WebhookEndpoint
    endpoint_id = db.session.scalar(select(WebhookEndpoint.id))
    assert client.get(f"/settings/webhooks/{endpoint_id}").status_code == 404
