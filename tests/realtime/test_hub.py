"""The hub: version ordering per key, cache for snapshots, encoding once, role filtering, resync."""
import json
import threading

from chessweb.realtime.hub import Hub, encode_fragment
from chessweb.realtime.messages import Event, Fragment, Recheck
from chessweb.realtime.outbox import Item, Outbox


class Recorder:
    """A subscriber with a real outbox; stands in for a socket connection."""

    def __init__(self, fmt="html", role=None):
        self.format = fmt
        self.role = role
        self.outbox = Outbox(100)
        self.items: list[Item] = []

    def offer_fragment(self, key, version, item, *, force=False):
        self.outbox.put_fragment(key, version, item, force=force)

    def offer(self, item, *, force=False):
        self.outbox.put(item, force=force)

    def received(self):
        self.items.extend(self.outbox.take_all())
        return [i.encoded.text for i in self.items]


def frag(version, key="standings-7", channel="tournament:7:standings", html=None, event_id=None):
    return Fragment(channel=channel, key=key, version=version,
                    html=html or f'<div id="{key}" hx-swap-oob="true">v{version}</div>',
                    data={"v": version}, event_id=event_id)


class Snapshots:
    def __init__(self, fragments=None):
        self.fragments = fragments or {}
        self.calls = []

    def __call__(self, channel):
        self.calls.append(channel)
        return list(self.fragments.get(channel, []))


def test_a_fragment_not_newer_than_the_last_seen_is_dropped():
    hub = Hub(Snapshots())
    sub = Recorder()
    hub.attach(sub, "tournament:7:standings")
    for version in (3, 2, 3, 5, 4):
        hub.deliver(frag(version))
        sub.received()  # written at once, so nothing coalesces in the outbox
    assert sub.received() == [frag(3).html, frag(5).html]
    assert [f.version for f in hub.current("tournament:7:standings")] == [5]


def test_versions_are_per_channel_and_key():
    hub = Hub(Snapshots())
    sub = Recorder()
    hub.attach(sub, "tournament:7")
    hub.attach(sub, "tournaments:all")
    hub.deliver(frag(5, key="header-7", channel="tournament:7"))
    hub.deliver(frag(5, key="header-7", channel="tournaments:all"))  # same key, other channel: delivered
    hub.deliver(frag(4, key="games-7", channel="tournament:7"))  # other key: its own versions
    assert len(sub.received()) == 2  # the per-connection outbox keeps one version 5 of header-7
    assert hub.current("tournaments:all")[0].version == 5


def test_json_and_html_clients_get_their_format_encoded_once():
    hub = Hub(Snapshots())
    html_subs = [Recorder("html") for _ in range(3)]
    json_subs = [Recorder("json") for _ in range(3)]
    for sub in html_subs + json_subs:
        hub.attach(sub, "game:42")
    hub.deliver(frag(1, key="game-42", channel="game:42"))
    html_frames = {id(s.outbox.take_all()[0].encoded.frame) for s in html_subs}
    json_items = [s.outbox.take_all()[0] for s in json_subs]
    assert len(html_frames) == 1, "every html socket gets the very same bytes object"
    assert len({id(i.encoded.frame) for i in json_items}) == 1
    assert json.loads(json_items[0].encoded.text) == {
        "type": "broadcast", "channel": "game:42", "key": "game-42", "version": 1, "data": {"v": 1}}


def test_a_snapshot_is_encoded_once_for_every_connect_and_is_the_fan_outs_frame(monkeypatch):
    """800 pages reconnecting after a worker died used to cost 800 encodings (and compressions) of the same
    standings; now the frame of a cached fragment is made once, by the fan-out or the first connect."""
    from chessweb.realtime import hub as hub_module
    encodings = []
    real = hub_module.encode_fragment
    monkeypatch.setattr(hub_module, "encode_fragment", lambda f, fmt: encodings.append((f.key, fmt)) or real(f, fmt))
    hub = Hub(Snapshots({"tournament:7:standings": [frag(3)]}))
    watcher = Recorder()
    hub.attach(watcher, "tournament:7:standings")
    first = [hub.frame(f, "html") for f in hub.current("tournament:7:standings")]
    again = [hub.frame(f, "html") for f in hub.current("tournament:7:standings")]
    assert encodings == [("standings-7", "html")] and first[0].encoded.frame is again[0].encoded.frame

    hub.deliver(frag(4))  # a new version: encoded once for the fan-out, and that frame is what a connect gets
    fanned_out = watcher.outbox.take_all()[-1].encoded.frame
    connect = [hub.frame(f, "html") for f in hub.current("tournament:7:standings")]
    assert connect[0].encoded.frame is fanned_out
    assert encodings == [("standings-7", "html"), ("standings-7", "html")]
    assert [hub.frame(f, "json") for f in hub.current("tournament:7:standings")][0].encoded.text.startswith("{")
    assert encodings[-1] == ("standings-7", "json")


def test_a_frame_is_kept_only_for_what_the_cache_holds():
    hub = Hub(Snapshots())
    hub.attach(Recorder(), "tournament:7:standings")
    hub.deliver(frag(5))
    stray = frag(4)  # not the cached fragment: encoded, not kept
    assert hub.frame(stray, "html").encoded.text == stray.html
    assert all(kept is not stray for kept, _item in hub._frames.values())


def test_user_channels_are_user_messages_for_json_clients():
    hub = Hub(Snapshots())
    sub = Recorder("json")
    hub.attach(sub, "user:3")
    hub.deliver(Event(channel="user:3", type="notification", data={"title": "Round 2 paired"}))
    assert json.loads(sub.received()[0]) == {"type": "user_message", "channel": "user:3",
                                            "event": "notification", "data": {"title": "Round 2 paired"}}


def test_events_with_roles_reach_only_those_roles_and_html_needs_html():
    hub = Hub(Snapshots())
    admin, viewer, anonymous = Recorder("json", "ADMIN"), Recorder("json", "VIEWER"), Recorder("json", None)
    html_admin = Recorder("html", "ADMIN")
    for sub in (admin, viewer, anonymous, html_admin):
        hub.attach(sub, "system")
    hub.deliver(Event(channel="system", type="announcement", data={"n": 1}, roles=("ADMIN", "ORGANIZER")))
    hub.deliver(Event(channel="system", type="announcement", data={"n": 2}, html="<div>all</div>"))
    assert [json.loads(t)["data"]["n"] for t in admin.received()] == [1, 2]
    assert [json.loads(t)["data"]["n"] for t in viewer.received()] == [2]
    assert [json.loads(t)["data"]["n"] for t in anonymous.received()] == [2]
    assert html_admin.received() == ["<div>all</div>"]  # the first event had no html


def test_events_are_not_versioned_or_cached():
    hub = Hub(Snapshots())
    sub = Recorder("json")
    hub.attach(sub, "system")
    for _ in range(3):
        hub.deliver(Event(channel="system", type="ping", data={}))
    assert len(sub.received()) == 3
    assert hub.current("system") == []


def test_channels_without_local_subscribers_cost_nothing_and_cache_nothing():
    snapshots = Snapshots({"tournament:7:standings": [frag(9)]})
    hub = Hub(snapshots)
    hub.deliver(frag(10))
    sub = Recorder()
    hub.attach(sub, "tournament:7:standings")
    assert [f.version for f in hub.current("tournament:7:standings")] == [9]  # rendered, not a stale cache


def test_current_renders_once_then_serves_the_cache_updated_by_newer_fragments():
    snapshots = Snapshots({"tournament:7": [frag(4, key="header-7", channel="tournament:7"),
                                           frag(4, key="players-7", channel="tournament:7")]})
    hub = Hub(snapshots)
    hub.attach(Recorder(), "tournament:7")
    assert {f.key: f.version for f in hub.current("tournament:7")} == {"header-7": 4, "players-7": 4}
    hub.deliver(frag(5, key="header-7", channel="tournament:7"))
    assert {f.key: f.version for f in hub.current("tournament:7")} == {"header-7": 5, "players-7": 4}
    assert snapshots.calls == ["tournament:7"]


def test_a_snapshot_older_than_a_fragment_that_arrived_while_rendering_does_not_win():
    channel = "tournament:7"
    hub = None

    def slow_snapshot(ch):
        hub.deliver(frag(6, key="header-7", channel=channel))  # published while the snapshot was being read
        return [frag(5, key="header-7", channel=channel), frag(5, key="players-7", channel=channel)]

    hub = Hub(slow_snapshot)
    hub.attach(Recorder(), channel)
    assert {f.key: f.version for f in hub.current(channel)} == {"header-7": 6, "players-7": 5}


def test_last_subscriber_leaving_forgets_the_channel():
    snapshots = Snapshots({"game:1": [frag(1, key="game-1", channel="game:1")]})
    hub = Hub(snapshots)
    sub = Recorder()
    hub.attach(sub, "game:1")
    hub.current("game:1")
    hub.detach(sub, "game:1")
    assert hub.local_count("game:1") == 0
    hub.attach(sub, "game:1")
    hub.current("game:1")
    assert snapshots.calls == ["game:1", "game:1"]


def test_counts_are_reported_on_every_change():
    changes = []
    hub = Hub(Snapshots(), on_count=lambda channel, n: changes.append((channel, n)))
    a, b = Recorder(), Recorder()
    hub.attach(a, "game:1")
    hub.attach(b, "game:1")
    hub.attach(b, "game:1")  # already there: no change
    hub.detach_all(a, ["game:1"])
    hub.detach(a, "game:1")  # not there: no change
    assert changes == [("game:1", 1), ("game:1", 2), ("game:1", 1)]
    assert hub.local_counts() == {"game:1": 1}


def test_resync_renders_every_watched_channel_afresh_and_offers_only_what_changed():
    state = {"tournament:7": [frag(3, key="header-7", channel="tournament:7"),
                              frag(3, key="players-7", channel="tournament:7")]}
    hub = Hub(Snapshots(state))
    sub = Recorder("json")
    hub.attach(sub, "tournament:7")
    for f in hub.current("tournament:7"):  # what the connect sequence sends
        sub.offer_fragment(f.key, f.version, encode_fragment(f, "json"))
    assert len(sub.received()) == 2
    # Messages were lost while the broker was away: the database moved on to version 4 for the header.
    state["tournament:7"] = [frag(4, key="header-7", channel="tournament:7"),
                             frag(3, key="players-7", channel="tournament:7")]
    hub.resync()
    new = [json.loads(t) for t in sub.received()[2:]]
    assert [(m["key"], m["version"]) for m in new] == [("header-7", 4)]


def test_dispatcher_thread_delivers_in_order_and_barrier_waits_for_it():
    hub = Hub(Snapshots())
    sub = Recorder()
    hub.attach(sub, "game:1")
    hub.start()
    try:
        for version in range(1, 51):
            hub.receive(frag(version, key="game-1", channel="game:1"))
        assert hub.barrier(5)
        assert sub.received() == [frag(50, key="game-1", channel="game:1").html]
    finally:
        hub.stop()


def test_a_failing_message_does_not_stop_the_dispatcher(caplog):
    hub = Hub(Snapshots())
    sub = Recorder()
    hub.attach(sub, "game:1")
    hub.start()
    try:
        hub.receive("not a message")
        hub.receive(frag(1, key="game-1", channel="game:1"))
        assert hub.barrier(5)
        assert len(sub.received()) == 1
        assert "delivering" in caplog.text
    finally:
        hub.stop()


def test_concurrent_attach_and_deliver():
    hub = Hub(Snapshots())
    subs = [Recorder() for _ in range(50)]
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            for s in subs[:25]:
                hub.attach(s, "game:1")
                hub.detach(s, "game:1")

    for s in subs[25:]:
        hub.attach(s, "game:1")
    t = threading.Thread(target=churn)
    t.start()
    try:
        for version in range(1, 200):
            hub.deliver(frag(version, key="game-1", channel="game:1"))
    finally:
        stop.set()
        t.join()
    assert all(s.received()[-1] == frag(199, key="game-1", channel="game:1").html for s in subs[25:])


def test_current_state_comes_oldest_first_so_parts_are_not_covered_by_older_containers():
    channel = "tournament:7:games"
    container = frag(8, key="scoreboard-7", channel=channel)
    hub = Hub(Snapshots({channel: [container]}))
    hub.attach(Recorder(), channel)
    assert hub.current(channel) == [container]
    hub.deliver(frag(12, key="scoreboard-7-round-3", channel=channel))
    hub.deliver(frag(15, key="scoreboard-7", channel=channel))  # a new round: the container again
    assert [(f.key, f.version) for f in hub.current(channel)] == [("scoreboard-7-round-3", 12),
                                                                  ("scoreboard-7", 15)]


def test_a_recheck_asks_about_each_subscriber_of_its_channels():
    asked = []
    hub = Hub(Snapshots(), on_recheck=asked.extend)
    watcher, other = Recorder(), Recorder()
    hub.attach(watcher, "tournament:7")
    hub.attach(other, "tournament:8")
    hub.deliver(Recheck(channels=("tournament:7", "game:3")))
    assert asked == [(watcher, "tournament:7")]


# ----------------------------------------------------------------- freshness against the app's current version

class Versions(dict):
    """The app's `current_version` hook: what the database says now; counts the calls."""

    def __init__(self, **versions):
        super().__init__(versions)
        self.calls = 0

    def __call__(self, channel):
        self.calls += 1
        return self.get(channel.replace(":", "_"))


def test_a_cache_behind_the_current_version_is_rendered_again_and_heals_the_other_subscribers():
    channel = "tournament:7"
    state = {channel: [frag(3, key="header-7", channel=channel), frag(3, key="players-7", channel=channel)]}
    versions = Versions(tournament_7=3)
    snapshots = Snapshots(state)
    hub = Hub(snapshots, current_version=versions)
    watching = Recorder("json")
    hub.attach(watching, channel)
    for f in hub.current(channel):
        watching.offer_fragment(f.key, f.version, encode_fragment(f, "json"))
    assert len(watching.received()) == 2
    assert hub.current(channel) and snapshots.calls == [channel]  # fresh: served from the cache

    # Committed, never published (the publisher died): only the database knows.
    state[channel] = [frag(4, key="header-7", channel=channel), frag(3, key="players-7", channel=channel)]
    versions["tournament_7"] = 4
    hub.attach(Recorder("json"), channel)
    assert [(f.key, f.version) for f in hub.current(channel)] == [("players-7", 3), ("header-7", 4)]
    assert snapshots.calls == [channel, channel]
    healed = [json.loads(t) for t in watching.received()[2:]]
    assert [(m["key"], m["version"]) for m in healed] == [("header-7", 4)]  # only what changed


def test_since_skips_what_the_page_shows_and_everything_when_the_channel_has_not_moved():
    channel = "tournament:7"
    snapshots = Snapshots({channel: [frag(5, key="header-7", channel=channel),
                                     frag(2, key="players-7", channel=channel)]})
    hub = Hub(snapshots, current_version=Versions(tournament_7=5))
    hub.attach(Recorder(), channel)
    assert hub.current(channel, since=5) == [] and snapshots.calls == []  # not even rendered
    assert [f.key for f in hub.current(channel, since=3)] == ["header-7"]
    assert [f.key for f in hub.current(channel, since=None)] == ["players-7", "header-7"]


def test_parts_older_than_a_fresh_whole_snapshot_are_dropped_from_the_cache():
    channel = "tournament:7:games"
    state = {channel: [frag(8, key="scoreboard-7", channel=channel)]}
    versions = Versions(tournament_7_games=8)
    hub = Hub(Snapshots(state), current_version=versions)
    hub.attach(Recorder(), channel)
    hub.current(channel)
    hub.deliver(frag(9, key="scoreboard-7-round-2", channel=channel))
    hub.deliver(frag(10, key="scoreboard-7-round-1", channel=channel))
    state[channel] = [frag(11, key="scoreboard-7", channel=channel)]  # a round published: the whole scoreboard
    versions["tournament_7_games"] = 11
    assert [(f.key, f.version) for f in hub.current(channel)] == [("scoreboard-7", 11)]


def test_connects_that_find_the_cache_behind_render_it_once():
    channel = "tournament:7"
    versions = Versions(tournament_7=1)
    rendering = threading.Event()
    release = threading.Event()
    calls = []

    def slow_snapshot(ch):
        calls.append(ch)
        rendering.set()
        release.wait(5)
        return [frag(versions["tournament_7"], key="header-7", channel=ch)]

    hub = Hub(slow_snapshot, current_version=versions)
    hub.attach(Recorder(), channel)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(hub.current(channel))) for _ in range(5)]
    for t in threads:
        t.start()
    assert rendering.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert calls == [channel]
    assert [[f.version for f in a] for a in answers] == [[1]] * 5


def test_a_failing_version_hook_serves_the_cache():
    channel = "tournament:7"

    def broken(ch):
        raise RuntimeError("database away")

    snapshots = Snapshots({channel: [frag(2, key="header-7", channel=channel)]})
    hub = Hub(snapshots, current_version=broken)
    hub.attach(Recorder(), channel)
    assert [f.version for f in hub.current(channel)] == [2]
    assert [f.version for f in hub.current(channel)] == [2]
    assert snapshots.calls == [channel]


def test_since_is_ignored_on_channels_without_a_known_version():
    """A user's channel may count its versions differently from the tournament revision a page gives."""
    channel = "user:12"
    hub = Hub(Snapshots({channel: [frag(2, key="badge-12", channel=channel)]}), current_version=Versions())
    hub.attach(Recorder(), channel)
    assert [f.version for f in hub.current(channel, since=500)] == [2]


def test_a_cache_that_got_the_latest_change_by_fan_out_is_fresh_without_rendering():
    """With a result every second, rendering a big channel on each connect after each change would stall the
    worker: a fragment published at the current version shows the cache has it."""
    channel = "tournament:7:standings"
    versions = Versions(tournament_7_standings=3)
    snapshots = Snapshots({channel: [frag(3, channel=channel)]})
    hub = Hub(snapshots, current_version=versions)
    hub.attach(Recorder(), channel)
    hub.current(channel)
    versions["tournament_7_standings"] = 4
    hub.deliver(frag(4, channel=channel))
    assert [f.version for f in hub.current(channel)] == [4]
    assert snapshots.calls == [channel]


def test_a_fragment_whose_content_did_not_change_is_cached_but_not_sent_again():
    """A result changes the standings, not the tournament header: the header's new version is kept for the next
    snapshot, but no socket gets a second frame that would swap in what it already shows."""
    def header(version, players):
        return Fragment(channel="tournament:7", key="tournament-header-7", version=version,
                        html=f'<section id="tournament-header-7" hx-swap-oob="true" data-version="{version}">'
                             f'<p data-version="{version}">{players} players</p></section>',
                        data={"players": players})

    hub = Hub(Snapshots())
    html, json_client = Recorder(), Recorder("json")
    for sub in (html, json_client):
        hub.attach(sub, "tournament:7")
    hub.deliver(header(9, 40))
    hub.deliver(header(10, 40))  # only the version moved (99 → 100 digits too, below)
    hub.deliver(header(99, 40))
    hub.deliver(header(100, 40))
    assert html.received() == [header(9, 40).html] and len(json_client.received()) == 1
    assert [f.version for f in hub.current("tournament:7")] == [100]  # a new socket's snapshot is current
    hub.deliver(header(101, 41))  # a player registered: sent
    assert html.received()[-1] == header(101, 41).html and len(json_client.received()) == 2
    changed_data = Fragment(channel="tournament:7", key="tournament-header-7", version=102,
                            html=header(102, 41).html, data={"players": 41, "round": 1})
    hub.deliver(changed_data)  # same HTML, new data for programs: sent
    assert len(json_client.received()) == 3


def test_a_slow_catch_up_rests_before_the_next_one():
    """A Redis outage: the broker asks for a catch-up every 0.25 s, but one pass costs a version query per
    watched channel; after a pass of d seconds the hub rests CATCH_UP_REST * d before the next."""
    import time

    from chessweb.realtime import hub as hub_module

    passes: list[float] = []

    def slow_version(channel):
        if channel == "tournament:7":
            passes.append(time.monotonic())
        time.sleep(0.1)  # a slow query per channel
        return 1

    hub = Hub(Snapshots({"tournament:7": [frag(1, channel="tournament:7")]}), current_version=slow_version)
    subscribers = [Recorder() for _ in range(3)]
    for i, sub in enumerate(subscribers):
        hub.attach(sub, "tournament:7" if i == 0 else f"tournament:{8 + i}")
    hub.start()
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            hub.request_catch_up()
            time.sleep(0.05)
        assert hub.barrier(5.0)
    finally:
        hub.stop()
    # Each pass takes about 0.3 s (three channels), so it runs about every 0.3 * (1 + CATCH_UP_REST) = 1.2 s.
    assert 2 <= len(passes) <= 4, passes
    gaps = [b - a for a, b in zip(passes, passes[1:])]
    assert min(gaps) >= 0.3 * hub_module.CATCH_UP_REST, gaps
