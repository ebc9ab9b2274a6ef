"""Writes counted in a batch reach the metrics and the delivery counts exactly as if counted one by one."""
from __future__ import annotations

import time

from chessweb.realtime import metrics
from chessweb.realtime.frames import text_frame
from chessweb.realtime.metrics import DeliveryCounts
from chessweb.realtime.outbox import Encoded, Item


def _state() -> tuple[float, list[float], float]:
    return (metrics.MESSAGES_DELIVERED._value.get(), [b.get() for b in metrics.FANOUT_LATENCY._buckets],
            metrics.FANOUT_LATENCY._sum.get())


def _item(event_id: int | None, age: float) -> Item:
    return Item(Encoded(text_frame(b"x")), event_id, time.monotonic() - age)


def test_a_batch_adds_what_one_by_one_writes_add():
    ages = [0.0005, 0.003, 0.03, 0.3, 3.0, 30.0]  # a spread over the buckets, the last one in +Inf
    one, batched = DeliveryCounts(), DeliveryCounts()
    start = _state()
    for age in ages:
        metrics.written(one, [_item(7, age)])
    middle = _state()
    pending_calls = []
    batched.on_pending = lambda: pending_calls.append(1)
    with metrics.batch():
        for age in ages[:-1]:
            metrics.written(batched, [_item(7, age)])
        with metrics.batch():  # nested: joins the outer one
            metrics.written(batched, [_item(None, ages[-1]), _item(7, ages[-1])])
        assert _state() == middle, "counted before the batch ended"
    end = _state()
    first = [b - a for a, b in zip(start[1], middle[1])]
    second = [b - a for a, b in zip(middle[1], end[1])]
    assert first == second and sum(first) == len(ages)  # one observation per write, in the same buckets
    assert middle[0] - start[0] == len(ages) and end[0] - middle[0] == len(ages) + 1  # frames written
    assert abs((middle[2] - start[2]) - (end[2] - middle[2])) < 0.1
    assert one.take() == {7: (len(ages), 0)} and batched.take() == {7: (len(ages), 0)}
    assert pending_calls == [1]
