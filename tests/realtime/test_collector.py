"""The garbage-collection policy of the socket processes (chessweb/realtime/collector.py), in a fresh interpreter:
what survives is frozen out of the automatic collections, and the cycles frozen meanwhile are freed by the
periodic full collection."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys, time, weakref
from chessweb.realtime import collector

class Node:
    pass

collector.start(freeze_seconds=0.05, full_seconds=1.5)
a, b = Node(), Node()
a.other, b.other = b, a  # a reference cycle: only a collection can free it
gone = weakref.ref(a)
time.sleep(0.3)  # frozen by now
assert gc.get_freeze_count() > 0, "nothing was frozen"
del a, b
gc.collect()  # the automatic collections' kind: the frozen cycle is out of its sight
assert gone() is not None, "a frozen cycle was collected before the full collection"
deadline = time.monotonic() + 10
while gone() is not None:  # the periodic full collection frees it
    assert time.monotonic() < deadline, "the full collection never freed the frozen cycle"
    time.sleep(0.05)
print("ok")
"""


def test_survivors_are_frozen_and_frozen_cycles_are_freed_by_the_full_collection():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_intervals_are_checked():
    from chessweb.realtime import collector
    with pytest.raises(ValueError):
        collector.start(freeze_seconds=10, full_seconds=1)
