"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with `--database=postgresql`), the app,
clients, accounts, and a real server on a local port.

The schema always comes from `migrations/`, as in production. SQLite tests copy a migrated template
file per test; PostgreSQL tests run in a schema of their own and truncate between tests. PostgreSQL and
Redis are the session's own private servers (tests/servers.py) unless TEST_POSTGRES_URL / TEST_REDIS_URL
name one. No test is ever skipped: a test that cannot run fails, saying why.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.pool import NullPool
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from chessweb import create_app
from chessweb.extensions import db
from chessweb.models import NotificationPreference, Role, User
from chessweb.realtime import realtime

from .servers import SessionServers, free_port  # noqa: F401 - free_port: for tests/processes.py

pytest_plugins = ["tests.frame_schema"]  # every /ws JSON frame a test reads is checked against the schema

PASSWORD = "correct-horse-42"
# The accounts the tests make share one cheap scrypt hash: checking the app's own (N = 32768) costs 0.1 s of CPU,
# and the suite logs in hundreds of times. werkzeug checks a hash with the parameters written in it, so login
# works the same; an account made through the app's forms still gets the app's parameters.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


# --------------------------------------------------------------------------- session rules

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--database", choices=("sqlite", "postgresql"), default="sqlite",
                     help="database of the app under test (PostgreSQL: the session's private server, "
                          "or TEST_POSTGRES_URL)")


def pytest_configure(config: pytest.Config) -> None:
    # The app reads DATABASE_URL and REDIS_URL; the tests (and the processes they start) must not inherit a
    # developer's, or they would write into that database. The one exception keeps the old spelling of the
    # PostgreSQL pass working: DATABASE_URL=$TEST_POSTGRES_URL.
    database_url = os.environ.pop("DATABASE_URL", "")
    os.environ.pop("REDIS_URL", None)
    if database_url.startswith(("postgres://", "postgresql")):
        if database_url != os.environ.get("TEST_POSTGRES_URL"):
            raise pytest.UsageError(
                "DATABASE_URL is set, and the tests never use it (it may hold your data). "
                "Run `pytest --database=postgresql` for a private PostgreSQL, or name a test server with "
                "TEST_POSTGRES_URL=... .")
        config.option.database = "postgresql"


# A test that asks for none of these cannot reach the database under test.
DATABASE_FIXTURES = frozenset({"database_url", "test_database", "postgres_url"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs again only what touches the database (and is not marked any_database): the
    SQLite pass ran the rest. End-to-end tests (marked slow, up to two minutes each) go first, the longest first
    and spread over the workers, so the workers that finish early take the short ones (pytest-xdist's
    worksteal) instead of one worker starting a long test at the end."""
    if config.option.database == "postgresql":
        keep, drop = [], []
        for item in items:
            touches = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
            (keep if touches and item.get_closest_marker("any_database") is None else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    items.sort(key=_expected_seconds, reverse=True)  # stable: the file order otherwise
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    if workers > 1:
        # pytest-xdist's worksteal hands worker i the i-th contiguous share of the collection, and an idle worker
        # steals from the end of another's queue. Dealt like cards, each worker's share starts with its part of
        # the longest tests, and the short ones come last, where stealing balances them.
        items[:] = [item for start in range(workers) for item in items[start::workers]]


def _expected_seconds(item: pytest.Item) -> float:
    """Ordering key: a slow test's `seconds` (its marker's argument, for the few far longer than the rest),
    then any slow test, then the others."""
    slow = item.get_closest_marker("slow")
    return -1.0 if slow is None else float(slow.kwargs.get("seconds", 0))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """A skipped test is a failed one: a green run must mean that every collected test ran."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} did not run, and the test command allows no skips: {reason}"
    return report


@pytest.fixture(scope="session")
def servers() -> Iterator[SessionServers]:
    """The session's PostgreSQL and Redis, started on first use and removed at the end."""
    session_servers = SessionServers()
    yield session_servers
    session_servers.stop()


@pytest.fixture(scope="session")
def postgres_url(servers: SessionServers) -> str:
    """A real PostgreSQL for this session: TEST_POSTGRES_URL, or a private server on a free port."""
    return servers.postgres_url()


@pytest.fixture(scope="session")
def redis_url(servers: SessionServers) -> str:
    """A real Redis for this session: TEST_REDIS_URL, or a private server on a free port."""
    return servers.redis_url()


# --------------------------------------------------------------------------- database

@dataclass
class TestDatabase:
    url: str
    template: Path | None = None  # SQLite: migrated file copied per test
    schema: str | None = None     # PostgreSQL: schema of this test run
    tables: tuple[str, ...] = ()  # PostgreSQL: the schema's tables, each after every table it references

    def empty(self, engine: Engine) -> None:
        """PostgreSQL: delete every row a test wrote and restart the sequences it advanced, in one transaction.

        TRUNCATE of every table made a new file for each of them and waited for an exclusive lock on each: a
        quarter of the PostgreSQL pass's time. Most tests write to a few small tables, so finding those (one
        query) and deleting their rows, children first, costs a few milliseconds."""
        with engine.begin() as conn:
            written = set(conn.scalars(text(" UNION ALL ".join(
                f"SELECT '{table}' WHERE EXISTS (SELECT FROM \"{table}\")" for table in self.tables))))
            for table in reversed(self.tables):
                if table in written:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                              "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _with_search_path(url: str, schema: str) -> str:
    from chessweb.config import normalize_database_url
    sep = "&" if "?" in url else "?"
    return f"{normalize_database_url(url)}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def test_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    if request.config.option.database != "postgresql":
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _upgrade(f"sqlite:///{template}")
        yield TestDatabase(url="", template=template)
        return
    with migrated_schema(request.getfixturevalue("postgres_url")) as url:
        engine = create_engine(url)
        schema = MetaData()
        schema.reflect(bind=engine)
        engine.dispose()
        tables = tuple(t.name for t in schema.sorted_tables if t.name != "alembic_version")
        yield TestDatabase(url=url, schema=url.rsplit("%3D", 1)[1], tables=tables)


@contextmanager
def migrated_schema(pg_url: str, prefix: str = "cw_test") -> Iterator[str]:
    """A URL of `pg_url` whose search_path is a new schema, migrated to the head; dropped with all its tables
    at the end."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_with_search_path(pg_url, "public"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(pg_url, schema)
    try:
        _upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(test_database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if test_database.template is not None:
        path = tmp_path / "chessweb.sqlite3"
        shutil.copy(test_database.template, path)
        yield f"sqlite:///{path}"
        return
    yield test_database.url
    engine = create_engine(test_database.url, poolclass=NullPool)
    test_database.empty(engine)
    engine.dispose()


# --------------------------------------------------------------------------- app and clients

@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Test overrides; a test may change entries before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BROKER_URL": "memory://",
        "SERVER_NAME": None,
        # The test machine's own load is no test's subject: a CPU or latency alert would add notices and events
        # to any test's database (a loaded CI machine put a latency alert in an admin's recent broadcasts). The
        # alert tests set the thresholds they check.
        "MONITOR_CPU_PERCENT": 10**6,
        "MONITOR_P99_MS": 10**6,
    }


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The `app` fixture keeps an app context open for the test, and a request reuses an open context of its
    app, so `g` (where Flask-Login caches the user) and the database session would leak from one request,
    and one client, to the next.
    """

    def open(self, *args: Any, **kwargs: Any):  # returns a TestResponse
        with self.application.app_context():
            return super().open(*args, **kwargs)


class SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates, shared by the apps of one test process. Each test makes its own app, whose
    Jinja environment would parse and compile again every template it renders (about 0.1 s of CPU a test).
    Jinja keys each entry by template name and a checksum of its source, so an edited template is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def _share_url_builders() -> None:
    """werkzeug compiles two URL builders per rule (an AST, then `compile`) for every app: 80 of the 90 ms that
    `create_app` costs, and each test makes an app. A builder is a plain function of (rule, values), bound to
    its rule afterwards (`Rule.compile`), and is made from the rule's text, parsed parts and defaults alone; so
    the apps of one test process share them. Tests only: production makes one app per process."""
    original = Rule._compile_builder
    builders: dict[tuple[Any, ...], Callable[..., Any]] = {}

    def compile_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        defaults = sorted((str(k), repr(v), type(rule._converters.get(k)).__name__)
                          for k, v in (rule.defaults or {}).items())
        key = (rule.rule, repr(rule._trace), repr(defaults), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(rule, append_unknown)
        return builder

    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_share_url_builders()


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        if "realtime" in app.extensions:
            realtime.stop(app)  # the live core's threads must not outlive the test's database
        if "notifications_background" in app.extensions:
            app.extensions["notifications_background"].stop()  # nor may a retry due after the test
        if app.extensions.get("render_process") is not None:
            app.extensions["render_process"].stop()  # nor the render process of big events
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on `url`, as a browser would read it."""
    return _token_in(client.get(url).get_data(as_text=True), url)


def _token_in(html: str, url: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


class _HiddenInputs(HTMLParser):
    """The hidden inputs (other than the CSRF token) of the forms whose action is `action`, first one winning;
    a form without an action posts to its page, `page`."""

    def __init__(self, action: str, page: str) -> None:
        super().__init__()
        self.action, self.page, self.inside, self.fields = action, page, False, {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or self.page) == self.action
        elif tag == "input" and self.inside and a.get("type") == "hidden" and a.get("name") not in (None, "csrf_token"):
            self.fields.setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def post_form(client: FlaskClient, url: str, data: dict[str, Any], *, form_url: str | None = None,
              **kwargs: Any):
    """POST a form as a browser submits it from the page that shows it (`form_url`, default `url`): its CSRF
    token and the hidden inputs of the page's form for `url` (such as the version it was shown), then `data`."""
    html = client.get(form_url or url).get_data(as_text=True)
    parser = _HiddenInputs(url, form_url or url)
    parser.feed(html)
    return client.post(url, data={**parser.fields, "csrf_token": _token_in(html, form_url or url), **data}, **kwargs)


def make_user(role: Role = Role.PARTICIPANT, name: str | None = None, email: str | None = None,
              rating: int | None = None) -> User:
    """An account with the shared test password, committed."""
    name = name or f"{role.value.title()} {uuid.uuid4().hex[:6]}"
    user = User(email=email or f"{name.lower().replace(' ', '.')}@example.org", display_name=name, role=role,
                password_hash=PASSWORD_HASH, rating=rating)
    db.session.add(user)
    db.session.flush()
    db.session.add(NotificationPreference(user_id=user.id))
    db.session.commit()
    return user


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user_or_email: User | str, password: str = PASSWORD):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        return post_form(self.client, "/auth/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/auth/logout", {}, form_url="/")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    """One account per role."""
    return {role.value.lower(): make_user(role, name=f"Test {role.value.title()}") for role in Role}


# --------------------------------------------------------------------------- a real server

@contextmanager
def hearing(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """`caplog` also hears `logger` while inside (an app's logger does not propagate to the root). Detached after:
    pytest's capture handler is one object for the whole session, so one left attached doubled the records of
    every later test in that worker."""
    logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)


def _closing_bodies(app: Flask) -> Callable[..., Iterable[bytes]]:
    """`app`, whose response bodies close once sent, or when dropped. Werkzeug's server closes a body only after
    draining the socket, which raises when the browser has hung up (it aborted a favicon or a page it left): the
    static file stayed open, and its ResourceWarning failed whichever test ran then. Production (gunicorn) closes
    bodies itself."""
    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = app(environ, start_response)

        def chunks() -> Iterator[bytes]:
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        return chunks()
    return serve


class LiveServer:
    """The app served by Werkzeug's threaded server in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, _closing_bodies(app), threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()

