"""Static files under fingerprinted URLs, cached by browsers until their content changes.

`url_for("static", filename=f)` adds `v=<first 12 hex digits of SHA-256 of f's bytes>`. A request whose `v` is
the file's current fingerprint is answered with `Cache-Control: public, max-age=31536000, immutable` (RFC 9111
§5.2.2.1; immutable: RFC 8246), so a browser loads the styles and scripts once and a page view costs one
request, not one plus seven revalidations on the process that also holds the live sockets. Any other static
request (no `v`, or the `v` of an older deploy, or /static/js/embed.js linked from a club's page) keeps Flask's
`no-cache` and is revalidated each time.

A fingerprint is cached per file by size and modification time, so an edited file gets a new URL at once.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, request

YEAR_SECONDS = 365 * 24 * 3600


class Fingerprints:
    """Content fingerprints of the files under one folder."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._known: dict[str, tuple[int, int, str]] = {}  # filename -> (size, mtime_ns, fingerprint)

    def of(self, filename: str) -> str | None:
        """The fingerprint of `filename` (a path relative to the folder), or None for a file that is not
        there (the URL is then built without one, and the request answers 404 as before)."""
        path = os.path.join(self.folder, filename)
        try:
            stat = os.stat(path)
        except (OSError, ValueError):
            return None
        known = self._known.get(filename)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        with open(path, "rb") as file:
            fingerprint = hashlib.sha256(file.read()).hexdigest()[:12]
        self._known[filename] = (stat.st_size, stat.st_mtime_ns, fingerprint)
        return fingerprint


class FingerprintedStatic(Flask):
    """Flask, with static files answered for a year when asked for under their current fingerprint."""

    fingerprints: Fingerprints

    def send_static_file(self, filename: str) -> Response:
        response = super().send_static_file(filename)
        if response.status_code == 200 and request.args.get("v") == self.fingerprints.of(filename):
            cache = response.cache_control
            cache.no_cache = None
            cache.public = True
            cache.max_age = YEAR_SECONDS
            cache.immutable = True
        return response


def install(app: FingerprintedStatic) -> None:
    """Add the fingerprint to every URL of the static endpoint that `url_for` builds."""
    app.fingerprints = Fingerprints(app.static_folder or "")

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            fingerprint = app.fingerprints.of(values["filename"])
            if fingerprint is not None:
                values["v"] = fingerprint
