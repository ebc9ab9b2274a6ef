"""/admin/system and the `admin` channel: only administrators, the figures count real sockets, 5xx show a
request id and never a stack trace, and the health fragment is pushed on the tick."""
from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chessweb.models import Role
from chessweb.monitoring import health
from chessweb.realtime import realtime

from ..conftest import csrf_token, make_user
from ..realtime.conftest import WAIT, recv_until, wait_for

ADMIN_URLS = ["/admin/system", "/admin/connections", "/admin/connections?format=json", "/admin/online",
              "/admin/online?format=json"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "MONITOR_INTERVAL_SECONDS": 0.3}


def _cookie(app, user):
    from ..conftest import AuthActions
    client = app.test_client()
    assert AuthActions(client).login(user).status_code in (302, 303)
    return client, f"session={client.get_cookie('session').value}"


def _ws(server, query, cookie=None):
    return connect(f"{server.ws_url}/ws?{query}&format=json", additional_headers={"Cookie": cookie} if cookie else {},
                   open_timeout=WAIT, compression=None, legacy=True)


def test_only_admins_see_the_admin_pages_and_channel(app, client, live_server):
    participant = make_user(Role.PARTICIPANT)
    for url in ADMIN_URLS:
        response = client.get(url)
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]
    user_client, cookie = _cookie(app, participant)
    for url in ADMIN_URLS:
        assert user_client.get(url).status_code == 403
    token = csrf_token(user_client, "/dashboard")
    assert user_client.post("/admin/connections/x/close", data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/connections/x/close").status_code in (302, 303, 400)
    for who in (None, cookie):
        with _ws(live_server, "channel=admin", who) as ws:
            _, before = recv_until(ws, lambda m: m["type"] == "subscribed")
            assert [m.get("code") for m in before if m["type"] == "error"] == ["forbidden"]
            assert not any(m.get("key") == health.HEALTH_KEY for m in before)
    realtime.stop(app)


def test_the_socket_count_rises_and_falls_with_real_sockets(app, live_server):
    admin = make_user(Role.ADMIN)
    admin_client, cookie = _cookie(app, admin)
    assert admin_client.get("/admin/system").status_code == 200
    with _ws(live_server, "channel=admin", cookie) as ws:
        def sockets(predicate):
            message, _ = recv_until(ws, lambda m: m.get("key") == health.HEALTH_KEY
                                    and predicate(m["data"]["total"]["sockets"]))
            return message["data"]
        sockets(lambda n: n == 1)  # the admin's own socket
        with _ws(live_server, "channel=tournaments:all") as visitor:
            recv_until(visitor, lambda m: m["type"] == "subscribed")
            data = sockets(lambda n: n == 2)
            assert data["total"]["anonymous"] == 1
            assert ["tournaments:all", 1] in data["top_channels"]
        sockets(lambda n: n == 1)
    realtime.stop(app)


def test_a_server_error_is_listed_with_its_request_id_and_no_trace(app, client):
    admin = make_user(Role.ADMIN)

    @app.get("/test/boom")
    def boom():
        raise ZeroDivisionError("secret detail")

    response = client.get("/test/boom")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    admin_client, _ = _cookie(app, admin)
    page = admin_client.get("/admin/system").get_data(as_text=True)
    assert request_id in page and "ZeroDivisionError" in page
    assert "secret detail" not in page and "Traceback" not in page
    realtime.stop(app)


def test_thresholds_raise_a_visible_alert_a_log_line_the_hook_and_a_notice_to_admins(app, caplog):
    admin, player = make_user(Role.ADMIN), make_user(Role.PARTICIPANT)
    admin_client, _ = _cookie(app, admin)
    player_client, _ = _cookie(app, player)

    def inbox(client):
        return client.get("/notifications").get_data(as_text=True)
    calls = []
    health.alert_hooks.append(lambda *args: calls.append(args))
    try:
        app.config["MONITOR_RSS_MB"] = 1  # any process uses more than 1 MB
        monitor = app.extensions["monitoring"]
        fragment = wait_for(lambda: [m for m in monitor.tick() if m.key == health.HEALTH_KEY], what="a tick")[0]
        assert 'data-alert="memory"' in fragment.html
        assert ("memory" in [c[0] for c in calls]) and any("ALERT raised: memory" in r.message for r in caplog.records)
        assert inbox(admin_client).count("Alert: memory") == 1
        monitor.tick()  # still raised: no second notice
        other = health.Monitor(app, monitor.store, lambda message: None)  # another process leading a tick
        other.tick()
        assert inbox(admin_client).count("Alert: memory") == 1
        assert "Alert: memory" not in inbox(player_client)
        app.config["MONITOR_RSS_MB"] = 10**6
        fragment = [m for m in monitor.tick() if m.key == health.HEALTH_KEY][0]
        assert 'data-alert="memory"' not in fragment.html and ("memory", "", False) in calls
        other.tick()
        page = inbox(admin_client)
        assert page.count("Resolved: memory") == 1 and page.count("Alert: memory") == 1
        assert "memory" not in inbox(player_client)
    finally:
        health.alert_hooks.clear()
    realtime.stop(app)


def test_a_process_that_does_not_lead_the_tick_still_serves_current_figures(app, monkeypatch):
    """With several processes only the leader renders on a tick; a page served by another process must still
    show the figures of now, not the ones from the last tick it happened to lead."""
    from chessweb.monitoring.store import MemorySampleStore

    class FollowerStore(MemorySampleStore):
        leads = True

        def lead(self, server, seconds):
            return self.leads

    monkeypatch.setattr(health, "HEALTH_INTERVAL", 60.0)  # a tick that no loaded machine outlasts here
    store = FollowerStore()
    monitor = health.Monitor(app, store, lambda message: None)
    first = [m for m in monitor.tick() if m.key == health.HEALTH_KEY][0]
    assert monitor.current() is first  # rendered less than a tick ago: reused
    monkeypatch.setattr(health, "HEALTH_INTERVAL", 0.2)  # ... and now one that soon passes
    store.leads = False  # from now on the other process leads every tick
    other = {**store.samples()[0], "server": "other-process", "sockets": 7, "anonymous": 7}
    store.write(other)
    assert monitor.tick() == []
    wait_for(lambda: 'data-figure="sockets">7<' in monitor.current().html, what="the other process's sockets")
    realtime.stop(app)


def test_an_admin_lists_a_socket_and_closes_it_as_banned(app, live_server):
    admin = make_user(Role.ADMIN)
    admin_client, _ = _cookie(app, admin)
    with _ws(live_server, "channel=tournaments:all") as visitor:
        recv_until(visitor, lambda m: m["type"] == "subscribed")

        def listed():
            body = admin_client.get("/admin/connections?format=json&channel=tournaments:all").get_json()
            return body["connections"] if body["total"] == 1 else None
        (row,) = wait_for(listed, what="the socket's row")
        assert row["user"] is None and row["subscriptions"] == ["tournaments:all"] and row["ip"] == "127.0.0.1"
        page = admin_client.get("/admin/connections?user=anonymous").get_data(as_text=True)
        assert f'data-session="{row["session_id"]}"' in page
        assert admin_client.get("/admin/connections?format=json&user=nobody-like-this").get_json()["total"] == 0
        token = csrf_token(admin_client, "/admin/connections")
        response = admin_client.post(f"/admin/connections/{row['session_id']}/close",
                                     data={"csrf_token": token, "reason": "spamming the board", "ban": "y"})
        assert response.status_code == 303
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                visitor.recv(timeout=WAIT)
        assert closed.value.rcvd.code == 4403 and closed.value.rcvd.reason == "spamming the board"
    realtime.stop(app)


def test_closing_refuses_a_long_reason_and_an_unknown_connection(app):
    admin = make_user(Role.ADMIN)
    admin_client, _ = _cookie(app, admin)
    token = csrf_token(admin_client, "/admin/connections")
    page = admin_client.post("/admin/connections/nope/close", data={"csrf_token": token, "reason": "x" * 101},
                             follow_redirects=True).get_data(as_text=True)
    assert "too long" in page
    page = admin_client.post("/admin/connections/nope/close", data={"csrf_token": token, "reason": "bye"},
                             follow_redirects=True).get_data(as_text=True)
    assert "not open any more" in page
    realtime.stop(app)


def test_last_seen_is_kept_current_but_written_at_most_once_per_interval(app):
    from datetime import timedelta

    from chessweb.extensions import db
    from chessweb.models import User, utcnow
    from chessweb.monitoring import activity
    player = make_user(Role.PARTICIPANT)
    client, _ = _cookie(app, player)
    activity._written.clear()
    db.session.get(User, player.id).last_seen_at = utcnow() - timedelta(days=2)
    db.session.commit()
    client.get("/dashboard")
    db.session.expire_all()
    first = db.session.get(User, player.id).last_seen_at
    assert utcnow() - first < timedelta(minutes=1)
    assert activity.touch(player.id) is False  # within the interval: not even a query
    client.get("/dashboard")
    db.session.expire_all()
    assert db.session.get(User, player.id).last_seen_at == first
    realtime.stop(app)


def test_who_is_online_counts_signed_in_sockets_by_role(app, live_server):
    admin = make_user(Role.ADMIN)
    player = make_user(Role.PARTICIPANT, name="Online Olga")
    admin_client, _ = _cookie(app, admin)
    _, cookie = _cookie(app, player)
    with _ws(live_server, f"channel=user:{player.id}", cookie) as ws, _ws(live_server, "channel=tournaments:all") as anon:
        recv_until(ws, lambda m: m["type"] == "subscribed")
        recv_until(anon, lambda m: m["type"] == "subscribed")
        body = wait_for(lambda: (b := admin_client.get("/admin/online?format=json").get_json())["total"] == 1 and b,
                        what="the player's row")
        assert body["by_role"]["PARTICIPANT"] == 1 and [u["name"] for u in body["users"]] == ["Online Olga"]
        assert "Online Olga" in admin_client.get("/admin/online").get_data(as_text=True)
    realtime.stop(app)


def test_fanout_latency_p50_and_p99_of_the_last_minute_appear_after_real_deliveries(app, live_server):
    """Frames written to real sockets show up as the fan-out latency of the last minute, in milliseconds."""
    from chessweb.realtime import Fragment
    admin = make_user(Role.ADMIN)
    admin_client, cookie = _cookie(app, admin)
    with _ws(live_server, "channel=admin", cookie) as ws, _ws(live_server, "channel=tournaments:all") as visitor:
        recv_until(visitor, lambda m: m["type"] == "subscribed")
        for version in range(1, 21):
            realtime.publish(Fragment(channel="tournaments:all", key="latency-probe", version=version,
                                      html=f'<div id="latency-probe" hx-swap-oob="true">{version}</div>'))
            recv_until(visitor, lambda m, v=version: m.get("key") == "latency-probe" and m.get("version") == v)
        message, _ = recv_until(ws, lambda m: m.get("key") == health.HEALTH_KEY
                                and m["data"]["rates"].get("fanout_p99_ms") is not None)
        rates = message["data"]["rates"]
        assert 0 < rates["fanout_p50_ms"] <= rates["fanout_p99_ms"] < 5000  # a local socket: well under 5 s
        page = admin_client.get("/admin/system").get_data(as_text=True)
        assert 'data-figure="fanout-p99"' in page and " ms</dd>" in page
    realtime.stop(app)


def test_fanout_latency_sums_the_buckets_of_every_process_over_the_last_minute():
    """Two processes' histograms are added bucket by bucket, and only the writes since the point a minute ago
    count: 90 fast writes in one process and 10 slow ones in the other give p50 in the fast bucket, p99 in the
    slow one."""
    bounds = health.samples.FANOUT_BOUNDS
    empty = [0.0] * len(bounds)

    def sample(server, fanout):
        return {"server": server, "pid": 1, "sockets": 0, "rss": 0, "started": 0, "fanout": fanout}
    fast, slow = list(empty), list(empty)
    fast[bounds.index(0.001)] = 1000 + 90  # 1000 writes older than the minute
    slow[bounds.index(0.5)] = 10
    now = health.aggregate([sample("a", fast), sample("b", slow)])["total"]
    minute_ago = {**health.aggregate([sample("a", [1000.0 if b == 0.001 else 0.0 for b in bounds]),
                                      sample("b", empty)])["total"], "at": now["at"] - 60}
    rates = health.rates(now, [minute_ago])
    assert 0 < rates["fanout_p50_ms"] <= 1.0
    assert 250 < rates["fanout_p99_ms"] <= 500
    assert health.quantile(0.5, empty, bounds) is None
    assert health.quantile(0.99, [0.0] * (len(bounds) - 1) + [3.0], bounds) == 5.0  # +Inf: the highest bound


def test_a_slow_fanout_p99_raises_the_latency_alert(app):
    app.config["MONITOR_P99_MS"] = 100
    figures = {"total": {"rss": 0}, "rates": {"error_rate": 0.0, "fanout_p99_ms": 180.0}}
    assert [a["name"] for a in health.check(app, figures, True, True)] == ["latency"]
    app.config["MONITOR_P99_MS"] = 200
    assert health.check(app, figures, True, True) == []
    realtime.stop(app)


def test_users_online_by_role_count_a_user_with_sockets_in_two_processes_once():
    def sample(server, roles):
        return {"server": server, "pid": 1, "sockets": 3, "rss": 0, "started": 0, "roles": roles}
    figures = health.aggregate([sample("a", {"PARTICIPANT": [1, 2], "ADMIN": [9]}),
                                sample("b", {"PARTICIPANT": [2, 3]})])
    assert figures["total"]["roles"] == {"ADMIN": 1, "PARTICIPANT": 3}
    # a process of the previous version sends counts: they add up rather than break the tick
    figures = health.aggregate([sample("a", {"PARTICIPANT": [1, 2]}), sample("old", {"PARTICIPANT": 2})])
    assert figures["total"]["roles"] == {"PARTICIPANT": 4}


def test_the_charts_carry_no_inline_style_and_their_stylesheet_comes_from_the_site(app, client):
    """The Content-Security-Policy (style-src 'self') refuses an inline <style>: pygal's must be served instead,
    or the charts are drawn unstyled (filled black shapes) on the real page."""
    from chessweb.monitoring import charts
    history = [{"at": 1000.0 + 30 * i, "sockets": i, "anonymous": 1, "connects": i, "delivered": 3 * i,
                "requests": i, "errors5xx": 0, "cpu": 0.1 * i, "rss": 10**8} for i in range(6)]
    drawn = charts.health_charts(history)
    for name, svg in drawn.items():
        assert "<style" not in svg and f'id="chart-{name}"' in svg
        # Nor a style attribute: pygal's tooltip had style="opacity: 0", refused (a console error) each time
        # the charts were pushed to an admin page.
        assert " style=" not in svg
        assert "<script" not in svg  # pygal's configuration script: the CSP refuses it (a console error)
    admin = make_user(Role.ADMIN)
    admin_client, _ = _cookie(app, admin)
    page = admin_client.get("/admin/system").get_data(as_text=True)
    assert 'href="/admin/system/charts.css"' in page and "<style" not in page.split("<main", 1)[-1]
    css = admin_client.get("/admin/system/charts.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert all(f"#chart-{name} " in text for name in drawn) and ".line{" in text.replace(" ", "")
    assert all(f"#chart-{name} .tooltip {{ opacity: 0; }}" in text for name in drawn)
    # CSS, not the SVG's XML-escaped text: `.graph &gt; .background` would be dropped (a grey background).
    assert "&gt;" not in text and "&amp;" not in text and "#chart-connections .graph > .background" in text
    participant_client, _ = _cookie(app, make_user(Role.PARTICIPANT))
    assert participant_client.get("/admin/system/charts.css").status_code == 403
    realtime.stop(app)
