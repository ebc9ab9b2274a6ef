"""Static files under fingerprinted URLs (chessweb/static_files.py): cached for a year under the fingerprint of
their content, revalidated under any other URL."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from chessweb.static_files import YEAR_SECONDS, Fingerprints

STATIC = Path(__file__).resolve().parents[1] / "static"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_every_style_and_script_of_a_page_is_linked_under_the_fingerprint_of_its_bytes(client):
    urls = static_urls(client.get("/auth/login").get_data(as_text=True))
    assert any(u.startswith("/static/vendor/htmx-") for u in urls) and any(".css?" in u for u in urls), urls
    for url in urls:
        path, _, query = url.partition("?v=")
        digest = hashlib.sha256((STATIC / path.removeprefix("/static/")).read_bytes()).hexdigest()[:12]
        assert query == digest, url


def fetch(client, url: str):
    """GET `url`: (status, body, Cache-Control), the file closed (a static response streams it)."""
    with client.get(url) as response:
        return response.status_code, response.get_data(), response.cache_control


def test_a_fingerprinted_url_is_cached_for_a_year_and_any_other_is_revalidated(client):
    url = next(u for u in static_urls(client.get("/auth/login").get_data(as_text=True)) if "app.css" in u)
    status, body, cache = fetch(client, url)
    assert status == 200 and cache.max_age == YEAR_SECONDS and cache.immutable and cache.public
    assert not cache.no_cache
    for other in (url.split("?")[0], url.split("?")[0] + "?v=0123456789ab"):  # no fingerprint, an older deploy's
        status, other_body, cache = fetch(client, other)
        assert status == 200 and other_body == body
        assert cache.no_cache and not cache.max_age, other
    # The service worker and the embed script keep fixed URLs, so browsers must always ask for them.
    assert fetch(client, "/push-sw.js")[2].no_cache
    assert fetch(client, "/static/js/embed.js")[2].no_cache


def test_an_edited_file_gets_a_new_fingerprint_and_a_missing_one_none(tmp_path):
    style = tmp_path / "site.css"
    style.write_text("body { color: black }")
    fingerprints = Fingerprints(str(tmp_path))
    first = fingerprints.of("site.css")
    assert first == hashlib.sha256(b"body { color: black }").hexdigest()[:12]
    style.write_text("body { color: navy  }")  # same size: the modification time tells it changed
    os.utime(style, ns=(os.stat(style).st_atime_ns, os.stat(style).st_mtime_ns + 1_000_000))
    assert fingerprints.of("site.css") not in (None, first)
    assert fingerprints.of("missing.css") is None
