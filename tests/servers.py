"""Reachability of the real servers some tests need. Under CI=true a missing server fails the test
instead of skipping it, so a green CI run always means the PostgreSQL and Redis paths ran."""
from __future__ import annotations

import os

import pytest


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI requires it", pytrace=False)
    pytest.skip(message)


def require_postgres(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url
    try:
        u = make_url(url)
        psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                        password=u.password, dbname=u.database, connect_timeout=3).close()
    except Exception as error:
        _unavailable("PostgreSQL", error)


def require_redis(url: str) -> None:
    import redis
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as error:
        _unavailable("Redis", error)


def require_program(name: str) -> str:
    """The path of a program some tests run (nginx); `make test` installs it."""
    import shutil
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        _unavailable(name, FileNotFoundError(f"no {name} on PATH"))
    return path
