"""Every connect starts from committed state, and nothing the page already shows is sent again:
the snapshot cache is checked against the app's current version (one query per channel per connect), a
cache behind it is rendered afresh and also heals the pages already watching, and `?since=` skips what the
page was rendered with. Real sockets against the live test app."""
from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from chessweb.realtime import Fragment, metrics, realtime

from . import liveapp
from .conftest import open_json, recv_until


def header(version: int, channel: str = "tournament:7") -> Fragment:
    return Fragment(channel=channel, key="header-7", version=version,
                    html=f'<h1 id="header-7" hx-swap-oob="true" data-version="{version}">R{version}</h1>',
                    data={"v": version})


def broadcasts(sequence: list[dict]) -> list[tuple[str, int]]:
    return [(m["key"], m["version"]) for m in sequence if m["type"] == "broadcast"]


def heals() -> float:
    return metrics.SNAPSHOT_HEALS._value.get()


def test_a_cache_behind_the_database_is_rendered_afresh_and_heals_the_pages_already_watching(clients):
    """kill9-after-commit-update-lost, the live-core half: the process that committed died before it
    published, so nothing was published; the survivors' caches are stale."""
    liveapp.STATE["tournament:7"] = [header(1)]
    liveapp.VERSIONS["tournament:7"] = 1
    watcher, sequence = open_json(clients, "tournament:7")
    assert broadcasts(sequence) == [("header-7", 1)]
    before = heals()

    # Committed in the database, never published.
    liveapp.STATE["tournament:7"] = [header(2)]
    liveapp.VERSIONS["tournament:7"] = 2

    _fresh, sequence = open_json(clients, "tournament:7")
    assert broadcasts(sequence) == [("header-7", 2)]  # not the cached version 1
    healed, _ = recv_until(watcher, lambda m: m["type"] == "broadcast")
    assert (healed["key"], healed["version"]) == ("header-7", 2)
    assert heals() == before + 1


def test_catching_up_heals_the_pages_watching_a_channel_the_database_moved_on(clients, live_app):
    """A Redis outage: another process committed and published, but nothing reaches this one. The broker asks
    the hub to catch up (about once a second while Redis is away), which checks each watched channel's version
    and offers what is newer."""
    liveapp.STATE["tournament:7"] = [header(1)]
    liveapp.VERSIONS["tournament:7"] = 1
    watcher, sequence = open_json(clients, "tournament:7")
    assert broadcasts(sequence) == [("header-7", 1)]
    liveapp.STATE["tournament:7"] = [header(2)]
    liveapp.VERSIONS["tournament:7"] = 2
    live_app.extensions["realtime"].hub.request_catch_up()
    healed, _ = recv_until(watcher, lambda m: m["type"] == "broadcast")
    assert (healed["key"], healed["version"]) == ("header-7", 2)


def test_a_fresh_cache_is_served_without_rendering(clients, monkeypatch):
    liveapp.STATE["tournament:7"] = [header(3)]
    liveapp.VERSIONS["tournament:7"] = 3
    open_json(clients, "tournament:7")
    rendered = []
    monkeypatch.setattr(liveapp, "STATE", _Recording(liveapp.STATE, rendered))
    _ws, sequence = open_json(clients, "tournament:7")
    assert broadcasts(sequence) == [("header-7", 3)]
    assert rendered == []


class _Recording(dict):
    def __init__(self, state: dict, seen: list) -> None:
        super().__init__(state)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.append(key)
        return super().get(key, default)


@pytest.mark.parametrize(("since", "expected"), [(None, [("header-7", 5)]), (4, [("header-7", 5)]),
                                                 (5, []), (9, [])])
def test_since_leaves_out_what_the_page_already_shows(clients, since, expected):
    liveapp.STATE["tournament:7"] = [header(5)]
    liveapp.VERSIONS["tournament:7"] = 5
    _ws, sequence = open_json(clients, "tournament:7", since=since)
    assert broadcasts(sequence) == expected


def test_since_still_gets_what_is_published_afterwards(clients):
    liveapp.STATE["tournament:7"] = [header(5)]
    liveapp.VERSIONS["tournament:7"] = 5
    ws, sequence = open_json(clients, "tournament:7", since=5)
    assert broadcasts(sequence) == []
    liveapp.VERSIONS["tournament:7"] = 6
    realtime.publish(header(6))
    message, _ = recv_until(ws, lambda m: m["type"] == "broadcast")
    assert message["version"] == 6


def test_a_container_covered_parts_are_not_sent_again_after_a_fresh_render(clients):
    """The whole scoreboard and a round inside it: after the channel is rendered afresh at version 9, the round
    cached at 7 is inside the container and is not sent a second time."""
    channel = "tournament:7:games"
    container = lambda v: Fragment(channel=channel, key="scoreboard-7", version=v, html=f"<s{v}>")  # noqa: E731
    liveapp.STATE[channel] = [container(6)]
    liveapp.VERSIONS[channel] = 6
    open_json(clients, channel)
    realtime.publish(Fragment(channel=channel, key="scoreboard-7-round-1", version=7, html="<r7>"))
    realtime.flush()
    liveapp.STATE[channel] = [container(9)]
    liveapp.VERSIONS[channel] = 9
    _ws, sequence = open_json(clients, channel)
    assert broadcasts(sequence) == [("scoreboard-7", 9)]


@pytest.mark.parametrize("bad", ["-1", "x", "1e3", "99999999999999999999", "%D9%A1%D9%A2"])
def test_bad_since_is_refused_before_the_upgrade(clients, bad):
    with pytest.raises(InvalidStatus) as info:
        clients.open("tournament:7", since=bad)  # type: ignore[arg-type]
    assert info.value.response.status_code == 400
    assert b"since must be a version" in info.value.response.body


def test_a_failing_version_hook_falls_back_to_the_cache(clients, monkeypatch, caplog):
    liveapp.STATE["tournament:7"] = [header(2)]
    open_json(clients, "tournament:7")

    monkeypatch.setattr(liveapp, "VERSIONS", _Broken())
    _ws, sequence = open_json(clients, "tournament:7")
    assert broadcasts(sequence) == [("header-7", 2)]
    assert "reading the current version of tournament:7 failed" in caplog.text


class _Broken(dict):
    def get(self, key, default=None):
        raise RuntimeError("database away")
