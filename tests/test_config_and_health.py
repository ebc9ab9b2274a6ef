"""Configuration layers, the secret-key rule, /healthz and /metrics."""
import pytest

from chessweb import create_app
from chessweb.config import ConfigError, normalize_database_url


def test_missing_secret_key_outside_development_is_an_error(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CHESSWEB_SECRET_KEY", raising=False)
    monkeypatch.setenv("CHESSWEB_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set. Set the SECRET_KEY environment variable"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_development_generates_and_keeps_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CHESSWEB_ENV", "development")
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_environment_layers(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.invalid/chess")
    monkeypatch.setenv("REDIS_URL", "redis://cache.invalid:6379/0")
    monkeypatch.setenv("CHESSWEB_WS_MAX_CHANNELS", "7")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.invalid/chess"
    assert app.config["BROKER_URL"] == "redis://cache.invalid:6379/0"
    assert app.config["WS_MAX_CHANNELS"] == 7
    # Test overrides come last.
    assert create_app({"WS_MAX_CHANNELS": 3}).config["WS_MAX_CHANNELS"] == 3


@pytest.mark.parametrize("url, expected", [
    ("postgres://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_normalize_database_url(url, expected):
    assert normalize_database_url(url) == expected


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]


def test_healthz_when_database_is_gone(app_config, tmp_path):
    app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/missing-dir/nope/x.sqlite3"
    app = create_app(app_config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded"


def test_metrics_is_prometheus_text(app, client):
    app.config["METRICS_TOKEN"] = "t"
    response = client.get("/metrics", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Content-Type"].count("charset") == 1
    text = response.get_data(as_text=True)
    for name in ("python_info", "chessweb_ws_fanout_latency_seconds_bucket", 'chessweb_ws_sockets{state="anonymous"}',
                 "chessweb_ws_messages_published_total", "# TYPE chessweb_notifications_total counter"):
        assert name in text, name


def test_every_setting_the_readme_exports_is_one_the_app_reads(monkeypatch):
    """The production recipe's `export NAME=...` lines name settings the app reads: the README once told admins to
    export METRICS_TOKEN, which is ignored (only DATABASE_URL, REDIS_URL and SECRET_KEY go without the CHESSWEB_
    prefix), so the scrape got 403 "set METRICS_TOKEN" with the right token."""
    import re
    import secrets
    from pathlib import Path

    from flask import Flask

    from chessweb import config
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"^export ([A-Z_]+)=", readme, re.M)
    assert len(names) >= 4 and "DATABASE_URL" in names, names  # the recipe is still where this test looks
    for name in names:
        monkeypatch.setenv("SECRET_KEY", "required-in-production")
        marker = f"readme{secrets.token_hex(6)}"
        monkeypatch.setenv(name, f"postgresql://{marker}@db/x" if name.endswith("_URL") else marker)
        app = Flask(__name__)
        config.load(app, None)
        assert any(marker in str(value) for value in app.config.values()), f"{name} is exported but never read"
        monkeypatch.delenv(name)
