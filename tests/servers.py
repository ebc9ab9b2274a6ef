"""The real PostgreSQL and Redis the tests use: private servers that the test session starts itself.

Each test session (one `pytest` run) starts its own PostgreSQL and its own Redis, on free ports, with all
their files in a temporary directory, and removes them at the end: two checkouts testing at once, or a
developer's own data, never meet. The processes are run by pytest-postgresql's and pytest-redis's executors
(mirakuru underneath). A server on this machine that the session did not start is used only when named
explicitly: `TEST_POSTGRES_URL` / `TEST_REDIS_URL`.

A server that cannot be started or reached fails the test that needs it with what to do about it: a
test that cannot run because of the machine is a failure of the test command, never a skip.
"""
from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# The ports of the servers a machine usually runs itself: the session never starts on, nor silently uses them.
SYSTEM_PORTS = {"PostgreSQL": 5432, "Redis": 6379}
INSTALL_HINT = {
    "PostgreSQL": "install it with `sudo apt-get install postgresql` (`make test` does this), "
                  "or name a server you own: TEST_POSTGRES_URL=postgresql://user:pass@host:port/dbname",
    "Redis": "install it with `sudo apt-get install redis-server` (`make test` does this), "
             "or name a server you own: TEST_REDIS_URL=redis://host:port/db",
}


class ServerUnavailable(Exception):
    """A server the tests need could not be started or reached; the message says which and how to fix it."""


def fail(what: str, problem: str) -> None:
    """Fail the current test (never skip) naming the server and the fix."""
    pytest.fail(f"{what}: {problem}. Fix: {INSTALL_HINT[what]}.", pytrace=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never a system server's)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in SYSTEM_PORTS.values():
            return port


# --------------------------------------------------------------------------- PostgreSQL

def find_pg_ctl() -> str:
    """pg_ctl of the newest installed PostgreSQL: Debian keeps it off PATH, in /usr/lib/postgresql/<v>/bin.

    Raises ServerUnavailable when no PostgreSQL server package is installed.
    """
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    found = candidates[-1] if candidates else shutil.which("pg_ctl")
    if not found:
        raise ServerUnavailable("pg_ctl not found (no PostgreSQL server installed)")
    return found


def _unprivileged_account() -> pwd.struct_passwd:
    """Who runs PostgreSQL when the tests run as root (the server refuses to run as root)."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerUnavailable("running as root, and neither a `postgres` nor a `nobody` account exists to run it as")


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this session in `directory` (data, socket, log), trust auth on 127.0.0.1."""

    directory: Path
    port: int = field(default_factory=free_port)
    dbname: str = "chessweb_test"
    executor: Any = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def start(self) -> PrivatePostgres:
        from mirakuru.exceptions import ExecutorError
        from pytest_postgresql.executors import PostgreSQLExecutor
        from pytest_postgresql.janitor import DatabaseJanitor

        pg_ctl = self._pg_ctl()
        self.executor = PostgreSQLExecutor(
            executable=pg_ctl, host="127.0.0.1", port=self.port, datadir=str(self.directory / "data"),
            unixsocketdir=str(self.directory), logfile=str(self.directory / "postgresql.log"),
            startparams="-w", dbname=self.dbname, user="postgres",
            # A test server: durability buys nothing and costs seconds of fsync per migration run.
            postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            timeout=60)
        try:
            self.executor.start()
        except (ExecutorError, OSError, Exception) as error:
            raise ServerUnavailable(f"could not start a private server with {pg_ctl} "
                                    f"({type(error).__name__}: {error}); log:\n{self.log_tail()}") from error
        DatabaseJanitor(user="postgres", host="127.0.0.1", port=self.port, dbname=self.dbname).init()
        return self

    def _pg_ctl(self) -> str:
        pg_ctl = find_pg_ctl()
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return pg_ctl
        # As root: every pg_ctl call (initdb, start, status, stop) goes through a wrapper that drops to an
        # unprivileged account, which then owns the directory.
        account = _unprivileged_account()
        os.chown(self.directory, account.pw_uid, account.pw_gid)
        wrapper = self.directory.parent / "pg_ctl-unprivileged"
        wrapper.write_text("#!/bin/sh\ncd /\nexec setpriv --reuid={} --regid={} --clear-groups -- {} \"$@\"\n".format(
            account.pw_uid, account.pw_gid, shlex.quote(pg_ctl)))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        return str(wrapper)

    def log_tail(self) -> str:
        try:
            return (self.directory / "postgresql.log").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.executor is not None:
            try:
                self.executor.stop()
            finally:
                self.executor.clean_directory()


# --------------------------------------------------------------------------- Redis

@dataclass
class PrivateRedis:
    """A Redis of this session with its files in `directory`; nothing saved to disk."""

    directory: Path
    port: int = field(default_factory=free_port)
    executor: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        from pytest_redis.executor import RedisExecutor

        executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(executable):
            raise ServerUnavailable("redis-server not found")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.executor = RedisExecutor(executable=executable, databases=16, redis_timeout=30, loglevel="notice",
                                      host="127.0.0.1", port=self.port, datadir=self.directory, save="",
                                      startup_timeout=30)
        try:
            self.executor.start()
        except Exception as error:
            raise ServerUnavailable(f"could not start a private server with {executable} "
                                    f"({type(error).__name__}: {error})") from error
        return self

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.stop()


# --------------------------------------------------------------------------- what the session uses

class SessionServers:
    """The servers of one test session, started when a test first needs them, stopped at the end."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._postgres: PrivatePostgres | str | None = None
        self._redis: PrivateRedis | str | None = None
        self._errors: dict[str, str] = {}

    @property
    def root(self) -> Path:
        # Not pytest's basetemp: that is private to the user running pytest, and PostgreSQL may run as another.
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="chessweb-test-servers-"))
            self._root.chmod(0o755)
        return self._root

    def postgres_url(self) -> str:
        """URL of the session's PostgreSQL: TEST_POSTGRES_URL if set, else a private server (started once)."""
        if "PostgreSQL" in self._errors:
            fail("PostgreSQL", self._errors["PostgreSQL"])
        if self._postgres is None:
            named = os.environ.get("TEST_POSTGRES_URL")
            try:
                self._postgres = check_postgres(named) if named else PrivatePostgres(self.root / "postgresql").start()
            except ServerUnavailable as error:
                self._errors["PostgreSQL"] = str(error)
                fail("PostgreSQL", str(error))
        return self._postgres if isinstance(self._postgres, str) else self._postgres.url

    def redis_url(self) -> str:
        """URL of the session's Redis: TEST_REDIS_URL if set, else a private server (started once)."""
        if "Redis" in self._errors:
            fail("Redis", self._errors["Redis"])
        if self._redis is None:
            named = os.environ.get("TEST_REDIS_URL")
            try:
                self._redis = check_redis(named) if named else PrivateRedis(self.root / "redis").start()
            except ServerUnavailable as error:
                self._errors["Redis"] = str(error)
                fail("Redis", str(error))
        return self._redis if isinstance(self._redis, str) else self._redis.url

    def private(self) -> dict[str, int]:
        """{server name: port} of the servers this session started itself."""
        return {name: server.port for name, server in (("PostgreSQL", self._postgres), ("Redis", self._redis))
                if isinstance(server, (PrivatePostgres, PrivateRedis))}

    def stop(self) -> None:
        for server in (self._redis, self._postgres):
            if isinstance(server, (PrivatePostgres, PrivateRedis)):
                server.stop()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)


def check_postgres(url: str) -> str:
    """`url` if a PostgreSQL answers there; ServerUnavailable otherwise."""
    import psycopg
    from sqlalchemy.engine import make_url
    try:
        u = make_url(url)
        psycopg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                        password=u.password, dbname=u.database, connect_timeout=3).close()
    except Exception as error:
        raise ServerUnavailable(f"TEST_POSTGRES_URL={url} is not reachable ({type(error).__name__}: {error})") \
            from error
    return url


def check_redis(url: str) -> str:
    """`url` if a Redis answers there; ServerUnavailable otherwise."""
    import redis
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as error:
        raise ServerUnavailable(f"TEST_REDIS_URL={url} is not reachable ({type(error).__name__}: {error})") \
            from error
    return url


def require_program(name: str) -> str:
    """The path of a program some tests run (nginx); `make test` installs it. Fails the test (never skips)."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed. Fix: make nginx (Debian's nginx-light).", pytrace=False)
    return path
