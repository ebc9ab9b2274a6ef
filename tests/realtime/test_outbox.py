"""The outbox: bounded, coalescing per fragment key, never going back in version."""
import threading

import pytest

from chessweb.realtime.frames import text_frame
from chessweb.realtime.outbox import Encoded, Item, Outbox, Put


def item(text: str, event_id=None) -> Item:
    return Item(Encoded(text_frame(text.encode())), event_id)


def texts(items):
    return [i.encoded.text for i in items]


def test_pending_fragments_with_the_same_key_coalesce_to_the_newest():
    box = Outbox(10)
    assert box.put_fragment("standings-7", 1, item("s1")) == (Put.QUEUED, None)
    old = item("s2")
    box.put_fragment("standings-7", 2, old)
    outcome, replaced = box.put_fragment("standings-7", 3, item("s3"))
    assert outcome is Put.REPLACED and replaced is old
    assert texts(box.take_all()) == ["s3"]


def test_a_replaced_fragment_moves_behind_what_was_queued_before_it():
    box = Outbox(10)
    box.put_fragment("a", 1, item("a1"))
    box.put(item("toast"))
    box.put_fragment("a", 2, item("a2"))
    assert texts(box.take_all()) == ["toast", "a2"]


def test_older_or_equal_versions_are_stale_even_after_being_written():
    box = Outbox(10)
    box.put_fragment("a", 5, item("a5"))
    assert texts(box.take_all()) == ["a5"]
    assert box.put_fragment("a", 5, item("again"))[0] is Put.STALE
    assert box.put_fragment("a", 4, item("older"))[0] is Put.STALE
    assert box.take_all() == []
    assert box.put_fragment("a", 6, item("a6"))[0] is Put.QUEUED


def test_events_never_coalesce():
    box = Outbox(10)
    for n in range(3):
        box.put(item(f"e{n}"))
    assert texts(box.take_all()) == ["e0", "e1", "e2"]


def test_full_outbox_refuses_but_a_newer_version_of_a_pending_key_still_fits():
    box = Outbox(2)
    box.put_fragment("a", 1, item("a1"))
    box.put(item("e"))
    assert box.put(item("e2")) is Put.FULL
    assert box.put_fragment("b", 1, item("b1"))[0] is Put.FULL
    assert box.put_fragment("a", 2, item("a2"))[0] is Put.REPLACED
    assert len(box) == 2


def test_forced_items_ignore_the_capacity():
    box = Outbox(1)
    box.put(item("x"))
    assert box.put(item("connected"), force=True) is Put.QUEUED
    assert box.put_fragment("a", 1, item("a1"), force=True)[0] is Put.QUEUED
    assert len(box) == 3


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        Outbox(0)


def test_concurrent_publishers_keep_only_the_newest_version_per_key():
    box = Outbox(1000)
    keys = [f"k{n}" for n in range(20)]

    def publish(offset):
        for version in range(offset, 400, 4):
            for key in keys:
                box.put_fragment(key, version, item(f"{key}@{version}"))

    threads = [threading.Thread(target=publish, args=(o,)) for o in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(texts(box.take_all())) == sorted(f"{key}@399" for key in keys)


def test_a_direct_put_is_recorded_as_written_when_nothing_is_pending():
    box = Outbox(10)
    assert box.put_fragment("a", 1, item("a1"), direct=True) == (Put.DIRECT, None)
    assert box.take_all() == []  # the caller wrote it
    assert box.put_fragment("a", 1, item("again"), direct=True)[0] is Put.STALE
    box.put(item("toast"))
    # Something is pending: queued behind it, never written ahead of it.
    assert box.put_fragment("a", 2, item("a2"), direct=True) == (Put.QUEUED, None)
    assert texts(box.take_all()) == ["toast", "a2"]
