"""Two gunicorn processes sharing Redis: the admin's figures are the sum of both, whichever serves the page,
and an admin on one process closes a socket the other holds."""
from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chessweb.models import Role

from ..conftest import PASSWORD, make_user
from ..live.test_scale_out import Browser, deployment  # noqa: F401  (the two-process fixture)
from ..processes import WAIT

pytestmark = [pytest.mark.slow, pytest.mark.scale_out]


def _figure(html: str, name: str) -> int:
    match = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert match, html[:300]
    return int(match.group(1))


def _wait(predicate, what: str):
    deadline = time.monotonic() + WAIT
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_totals_are_summed_over_both_processes_and_a_close_crosses_them(app, deployment):  # noqa: F811
    a, b = deployment["A"], deployment["B"]
    admin = make_user(Role.ADMIN, name="Ada Scale")
    browser = Browser(a.url)
    assert browser.submit("/auth/login", {"email": admin.email, "password": PASSWORD},
                          form_path="/auth/login") == 303
    sockets = [connect(f"{p.ws_url}/ws?channel=tournaments:all&format=json", open_timeout=WAIT, compression=None,
                       legacy=True)
               for p in (a, b, b)]
    try:
        for ws in sockets:
            while json.loads(ws.recv(timeout=WAIT))["type"] != "subscribed":
                pass
        page = _wait(lambda: (html := browser.get("/admin/system")) and _figure(html, "sockets") == 3 and html,
                     "three sockets over two processes")
        assert _figure(page, "anonymous") == 3 and "2 processes" in page

        rows = _wait(lambda: (body := json.loads(browser.get("/admin/connections?format=json")))["total"] == 3
                     and body["connections"], "three connection rows")
        servers = {r["server"] for r in rows}
        assert len(servers) == 2
        # B holds two of the three sockets: close one of B's from A (the request goes through Redis).
        b_server = max(servers, key=lambda s: sum(r["server"] == s for r in rows))
        row = next(r for r in rows if r["server"] == b_server)
        assert browser.submit(f"/admin/connections/{row['session_id']}/close", {"reason": "maintenance"},
                              form_path="/admin/connections") == 303
        closed: list[int] = []
        deadline = time.monotonic() + WAIT
        while not closed and time.monotonic() < deadline:
            for ws in sockets[1:]:
                try:
                    ws.recv(timeout=0.2)
                except TimeoutError:
                    pass
                except ConnectionClosed as error:
                    closed.append(error.rcvd.code)
        assert closed == [4000]
    finally:
        for ws in sockets:
            ws.close()
