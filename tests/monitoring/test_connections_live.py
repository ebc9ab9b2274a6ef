"""/admin/connections is live: with real sockets, an admin subscribed to `admin` the way the page is sees a new
client's row arrive and leave; the table is pushed only when the set of connections changed, and a filtered
view keeps its rows with the live total and a link to load it again."""
from __future__ import annotations

import time

import pytest

from chessweb.live import channels
from chessweb.models import Role
from chessweb.monitoring import connections

from ..conftest import make_user
from ..live.test_channels import connect_sequence, open_ws, read_json, session_cookie
from ..realtime.conftest import recv_until

TABLE = connections.TABLE_KEY


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MONITOR_INTERVAL_SECONDS": 0.3}


def _sessions(message) -> set[str]:
    return {c["session_id"] for c in message["data"]["connections"]}


def test_a_new_socket_arrives_in_the_admins_table_and_leaves_it(app, client, live_server):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    cookie = session_cookie(app, admin)
    page = client.get("/admin/connections")
    assert page.status_code in (302, 303, 401, 403)  # not for anonymous visitors
    with open_ws(live_server, channels.ADMIN, cookie=cookie) as watcher, \
            open_ws(live_server, channels.ADMIN, fmt="html", cookie=cookie) as browser:
        sequence = connect_sequence(watcher)
        assert any(m.get("key") == TABLE for m in sequence)
        with open_ws(live_server, channels.TOURNAMENTS_ALL) as visitor:
            visitor_id = read_json(visitor)["session_id"]
            # The row is recorded at connect and its subscriptions a moment later (one batch each): a busy
            # machine can show the row for a tick before its channel.
            arrived, _ = recv_until(watcher, lambda m: m.get("key") == TABLE and any(
                c["session_id"] == visitor_id and c["subscriptions"] for c in m["data"]["connections"]))
            row = next(c for c in arrived["data"]["connections"] if c["session_id"] == visitor_id)
            assert row["user"] is None and row["subscriptions"] == [channels.TOURNAMENTS_ALL]
            assert arrived["data"]["total"] == len(arrived["data"]["connections"])
            # The page's own socket (HTML) gets the row as the table the page swaps in by id.
            frame = _next_table_frame(browser)
            while f'data-session="{visitor_id}"' not in frame:
                frame = _next_table_frame(browser)
            assert "anonymous" in frame.split(f'data-session="{visitor_id}"')[1].split("</tr>")[0]
            # Nothing changes now: several ticks pass without another render of the table.
            deadline, again = time.monotonic() + 1.5, []
            while time.monotonic() < deadline:
                try:
                    message = read_json_within(watcher, deadline - time.monotonic())
                except TimeoutError:
                    break
                if message.get("key") == TABLE:
                    again.append(message)
            assert again == []
        gone, _ = recv_until(watcher, lambda m: m.get("key") == TABLE and visitor_id not in _sessions(m))
        assert gone["version"] > arrived["version"]
        frame = _next_table_frame(browser)
        while f'data-session="{visitor_id}"' in frame:
            frame = _next_table_frame(browser)


def _next_table_frame(browser) -> str:
    """The next HTML frame holding the connections table (`admin` carries the health figures too)."""
    while 'id="admin-connections"' not in (frame := browser.recv(timeout=10)):
        pass
    return frame


def read_json_within(ws, timeout: float):
    import json
    return json.loads(ws.recv(timeout=max(0.01, timeout)))


def test_the_unfiltered_page_is_live_and_a_filtered_one_says_it_is_not(app, live_server):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    from ..conftest import AuthActions
    own = app.test_client()
    AuthActions(own).login(admin)
    page = own.get("/admin/connections").get_data(as_text=True)
    assert 'id="admin-connections"' in page and 'id="admin-connections-total"' in page
    assert "channel=admin" in page.split("hx-ws:connect=")[1].split(">")[0]
    filtered = own.get("/admin/connections?user=anonymous").get_data(as_text=True)
    assert 'id="admin-connections"' not in filtered  # its rows stay: a push would replace them
    assert 'id="admin-connections-total"' in filtered and "Load this view again" in filtered
    assert 'id="admin-connections"' not in own.get("/admin/connections?page=2").get_data(as_text=True)
