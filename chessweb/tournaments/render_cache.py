"""Rendered fragments of tournament pages, kept per tournament revision, so a second view of a big event's page
is a lookup and not seconds of CPU (a 2,000-player standings table takes about 3 s to compute and render).

The key is (tournament id, revision, fragment name). A revision never comes back once the tournament has moved
on, so an entry is never stale: a page at a newer revision misses and renders afresh. The live layer fills the
same cache when it renders a fragment for the sockets, so the page views that follow a result share that render.

Content read after the revision is at least as new as the revision (both the live layer and the views read the
revision first), so a page is never older than the revision it was keyed by.

Setting: FRAGMENT_CACHE_BYTES (per process, default 32 MiB; 0 turns the cache off). Least recently used entries
go first; a fragment bigger than a quarter of the budget is not kept.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, current_app

Key = tuple[int, int, str]  # (tournament id, tournament revision, fragment name)
DEFAULT_BYTES = 32 * 1024 * 1024


class RenderCache:
    """A thread-safe LRU of rendered HTML bounded by the total size of its values (UTF-8 bytes, approximated by
    characters: fragments are mostly ASCII)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[Key, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> str | None:
        """The HTML stored under `key`, or None."""
        with self._lock:
            html = self._entries.get(key)
            if html is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return html

    def put(self, key: Key, html: str) -> None:
        """Keep `html` under `key`, dropping the least recently used entries beyond the budget."""
        size = len(html)
        if size * 4 > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = html
            self._size += size
            while self._size > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def get_or_render(self, key: Key, render: Callable[[], str]) -> str:
        """The stored HTML, or `render()` stored under `key`."""
        html = self.get(key)
        if html is None:
            html = render()
            self.put(key, html)
        return html

    @property
    def size(self) -> int:
        """The bytes held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> RenderCache:
    """Give `app` its cache (in app.extensions["fragment_cache"]); one per app, so two apps never share keys."""
    cache = RenderCache(int(app.config.get("FRAGMENT_CACHE_BYTES", DEFAULT_BYTES)))
    app.extensions["fragment_cache"] = cache
    return cache


def cache() -> RenderCache:
    """The current app's cache (a zero-size one when the app has none: nothing is kept)."""
    found = current_app.extensions.get("fragment_cache")
    return found if found is not None else RenderCache(0)
