"""url_for outside a request (the after-commit worker, CLI imports, tests calling services)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context


@contextmanager
def url_context() -> Iterator[None]:
    """Lend url_for a request for the site root when there is none."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context("/"):
        yield
