"""The test session's own rules, checked by running small pytest sessions of this suite's conftest:
private servers when none is named, no silent skips, a failure that names the server and the fix."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import SYSTEM_PORTS, free_port

ROOT = Path(__file__).resolve().parents[1]


def run_session(tmp_path: Path, test_source: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `test_source` as a pytest session that uses this suite's conftest (its fixtures and hooks)."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_probe.py").write_text(test_source)
    clean = {k: v for k, v in os.environ.items()
             if k not in ("TEST_POSTGRES_URL", "TEST_REDIS_URL", "DATABASE_URL", "REDIS_URL", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-c", os.devnull, *args, str(tmp_path)],
        cwd=tmp_path, env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True, timeout=120)


PRIVATE_SERVERS_PROBE = '''
import psycopg, redis
from sqlalchemy.engine import make_url

def test_private_servers(servers, postgres_url, redis_url, database_url):
    pg, rd = make_url(postgres_url), make_url(redis_url)
    assert servers.private() == {"PostgreSQL": pg.port, "Redis": rd.port}
    assert pg.port != 5432 and rd.port != 6379
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SHOW data_directory").fetchone()[0].startswith(str(servers.root))
    assert redis.Redis.from_url(redis_url).ping()
    assert database_url.startswith("postgresql+psycopg://postgres@127.0.0.1:%d/" % pg.port)
    print("ROOT", servers.root)
'''


@pytest.mark.slow
def test_without_named_servers_the_session_starts_private_ones_and_removes_them(tmp_path):
    result = run_session(tmp_path, PRIVATE_SERVERS_PROBE, {}, "-s", "--database=postgresql")
    assert result.returncode == 0, result.stdout + result.stderr
    root = Path(next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("ROOT ")))
    assert not root.exists(), "the session left its servers' files behind"


def test_a_skipped_test_fails_the_command(tmp_path):
    result = run_session(tmp_path, "import pytest\n\ndef test_x():\n    pytest.skip('Chromium is missing')\n", {})
    assert result.returncode == 1, result.stdout
    assert "allows no skips: Chromium is missing" in result.stdout
    assert "1 failed" in result.stdout


def test_an_unreachable_named_redis_fails_with_the_server_and_the_fix(tmp_path):
    closed = free_port()
    result = run_session(tmp_path, "def test_x(redis_url):\n    pass\n",
                         {"TEST_REDIS_URL": f"redis://127.0.0.1:{closed}/0"})
    assert result.returncode == 1, result.stdout
    assert f"Redis: TEST_REDIS_URL=redis://127.0.0.1:{closed}/0 is not reachable" in result.stdout
    assert "Fix: install it with `sudo apt-get install redis-server`" in result.stdout


def test_a_developers_database_url_is_never_used(tmp_path):
    result = run_session(tmp_path, "def test_x():\n    pass\n", {"DATABASE_URL": "postgresql://me@127.0.0.1/mydata"})
    assert result.returncode == 4, result.stdout + result.stderr  # usage error: nothing ran, nothing touched
    assert "DATABASE_URL is set, and the tests never use it" in result.stderr


def test_free_ports_are_never_the_system_servers():
    assert not {free_port() for _ in range(50)} & set(SYSTEM_PORTS.values())
