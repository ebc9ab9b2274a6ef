"""/api/v1/ routes: the published contract (schema.json)."""
from __future__ import annotations

from functools import lru_cache

from flask import Response

from . import contracts
from .blueprint import bp


@lru_cache(maxsize=1)
def _schema_bytes() -> bytes:
    return contracts.schema_text().encode()


@bp.get("/schema.json")
def schema() -> Response:
    """The JSON Schema of every /ws message and API payload (the same bytes as docs/api-schema.json)."""
    response = Response(_schema_bytes(), mimetype="application/schema+json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only, no credentials
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
