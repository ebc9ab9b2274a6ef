"""ChessWeb: live chess tournaments. `create_app` builds the Flask app; importing the package starts nothing."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config layers, extensions, blueprints, the live core."""
    # Imported here, not above: a pairing child process (chessweb.jobs) imports this package and needs neither.
    from sqlalchemy import event

    from . import config, security, static_files
    app = static_files.FingerprintedStatic(__name__, instance_relative_config=True,
                                           template_folder="../templates", static_folder="../static")
    config.load(app, test_config)
    security.install(app)
    static_files.install(app)

    from .extensions import csrf, db, login_manager, migrate, sock
    db.init_app(app)
    # Batch mode lets SQLite alter tables; the same migrations run on PostgreSQL.
    migrate.init_app(app, db, directory=_migrations_dir(app), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    sock.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from . import auth, cli, errors, games, health, permissions, templating, tournaments  # noqa: F401
    app.register_blueprint(auth.bp)
    app.register_blueprint(games.bp)
    app.register_blueprint(tournaments.bp)
    app.register_blueprint(health.bp)
    from . import api
    app.register_blueprint(api.bp)
    app.register_blueprint(api.settings_bp)
    app.register_blueprint(api.embed_bp)
    from . import ratelimit
    ratelimit.init_app(app)  # wraps views of the blueprints above
    errors.register(app)
    cli.register(app)
    templating.register(app)
    from . import dashboard, live, monitoring, notifications
    from .dashboard import live as dashboard_live
    from .site import SiteArea
    from .tournaments import render_cache, render_process
    render_cache.init_app(app)  # public pages of big events, per tournament revision
    render_process.init_app(app)  # live renders of big events, in a child process
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(monitoring.bp)
    overview = dashboard_live.DashboardOverviewArea()  # tournaments:all, with the dashboard's overview
    # The tournament area first: its standings and scoreboards are what most sockets watch, and each message
    # goes out as soon as it is rendered, before the personal dashboards of every player.
    live.init_app(app, areas=[render_process.RenderProcessArea(), SiteArea(), overview])
    notifications.init_app(app)
    dashboard_live.init_app(app, overview)
    monitoring.init_app(app)
    from . import webhooks
    app.register_blueprint(webhooks.bp)
    webhooks.install(app)
    return app


def _migrations_dir(app: Flask) -> str:
    return os.path.join(os.path.dirname(app.root_path), "migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets pages read while a result is being written; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

