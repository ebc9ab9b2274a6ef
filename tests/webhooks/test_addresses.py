"""The SSRF guard: with WEBHOOK_ALLOW_PRIVATE_ADDRESSES off (the default), a webhook URL whose host is, or
resolves to, a loopback, private, link-local, multicast, reserved or unspecified address is refused at
registration with a clear form error and nothing stored, and again at delivery, where a real receiver listening
on 127.0.0.1 must never be reached. Redirects are not followed even where private addresses are allowed."""
from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import Role
from chessweb.webhooks import addresses
from chessweb.webhooks.models import WebhookEndpoint

from ..conftest import make_user, post_form
from ..tournaments.conftest import setup_tournament, start_round
from .test_delivery import WAIT, Receiver, deliveries, register


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WEBHOOK_BACKOFF_SECONDS": 0.2, "WEBHOOK_POLL_SECONDS": 0.2}


@pytest.fixture
def organizer(app):
    yield make_user(Role.ORGANIZER)
    app.extensions["webhook_sender"].stop()


REFUSED = [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
    ("http://127.1.2.3/hook", "loopback"),
    ("http://localhost:8080/hook", "localhost resolves to"),  # a host name that resolves to loopback
    ("http://[::1]/hook", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4 loopback in IPv6 clothing
    ("http://10.1.2.3/hook", "10.1.2.3 is a private-network address"),
    ("http://192.168.0.10/hook", "private-network"),
    ("http://172.16.5.5/hook", "private-network"),
    ("http://[fc00::1]/hook", "fc00::1 is a private-network address"),
    ("http://[fd12:3456::1]/hook", "private-network"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://0.0.0.0:8080/hook", "0.0.0.0 is the unspecified address"),
    ("http://[::]/hook", "unspecified"),
    ("http://224.0.0.1/hook", "224.0.0.1 is a multicast address"),
    ("http://[ff02::1]/hook", "multicast"),
    ("http://240.0.0.1/hook", "240.0.0.1 is a reserved address"),
    ("http://100.64.0.1/hook", "not a public internet address"),  # carrier-grade NAT, shared space
    ("http://2130706433/hook", "resolves to 127.0.0.1"),  # 127.0.0.1 as one number, resolved by the system
]


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_registration_refuses_a_non_public_address_and_stores_nothing(client, auth, organizer, url, message):
    auth.login(organizer)
    response = post_form(client, "/settings/webhooks", {"url": url, "tournament": "", "events": ["result.final"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Webhooks are sent only to public internet addresses" in page
    assert message in page
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_registration_accepts_a_public_address(client, auth, organizer):
    auth.login(organizer)
    response = post_form(client, "/settings/webhooks",
                         {"url": "https://93.184.215.14/hook", "tournament": "", "events": ["result.final"]})
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert db.session.scalar(select(WebhookEndpoint.url)) == "https://93.184.215.14/hook"


def test_with_the_switch_on_a_local_address_is_accepted(app, client, auth, organizer):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    auth.login(organizer)
    response = post_form(client, "/settings/webhooks",
                         {"url": "http://127.0.0.1:9/hook", "tournament": "", "events": ["result.final"]})
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["2002:7f00:1::1", "::ffff:10.0.0.1", "64:ff9b::7f00:1"])
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_refused(text):
    assert addresses.refusal(ipaddress.ip_address(text)) is not None


def test_public_addresses_pass():
    for text in ("93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"):
        assert addresses.refusal(ipaddress.ip_address(text)) is None


def test_delivery_to_a_host_resolving_to_loopback_is_refused_and_the_receiver_never_hit(app, client, auth,
                                                                                         organizer, live_server):
    """Registered while allowed (or before the name pointed at loopback: DNS rebinding), then the switch is off:
    every try is refused before any connection, and the log says why."""
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    receiver = Receiver()
    try:
        url = receiver.url.replace("127.0.0.1", "localhost")
        receiver.secret = register(client, auth, organizer, url, ["round.published"])
        app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
        tid = setup_tournament(organizer, 4)
        start_round(tid, organizer)
        receiver.wait_for(lambda: deliveries() and deliveries()[0].status == "failed", "the refused tries")
        [delivery] = deliveries()
        assert delivery.attempts == 2 and delivery.last_status_code is None
        assert "localhost resolves to" in delivery.last_error and "loopback" in delivery.last_error
        assert receiver.requests == 0 and not receiver.received
        page = client.get(f"/settings/webhooks/{delivery.endpoint_id}").get_data(as_text=True)
        assert "public internet addresses" in page
    finally:
        receiver.stop()


def wait_until(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Redirector:
    """A real local server that answers every request with a redirect to `location`, and counts them."""

    def __init__(self, location: str, status: int) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                outer.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = _redirect  # noqa: N815 - http.server's naming

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class AnyRequest:
    """A real local server that records every request of any method (where a followed redirect would land)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                outer.seen.append(self.command)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET = _record  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/internal"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[AnyRequest]:
    server = AnyRequest()
    yield server
    server.stop()


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_not_followed(app, client, auth, organizer, live_server, internal, status):
    """Even with the switch on: a public receiver must not be able to bounce a delivery to an inside address."""
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    redirector = Redirector(internal.url, status)
    try:
        register(client, auth, organizer, redirector.url, ["round.published"])
        tid = setup_tournament(organizer, 4)
        start_round(tid, organizer)
        wait_until(lambda: deliveries() and deliveries()[0].status == "failed", "the try")
        [delivery] = deliveries()
        assert redirector.hits == 1 and delivery.last_status_code == status
        assert "redirects are not followed" in delivery.last_error
        assert internal.seen == []
    finally:
        redirector.stop()
