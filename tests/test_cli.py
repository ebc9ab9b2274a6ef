"""`flask create-user`: admins and organizers are made from the command line; `flask seed-demo` only in
development; a missing setting is one line, not a traceback."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import Role, User


def test_create_admin(runner):
    result = runner.invoke(args=["create-user", "--email", "Root@Example.org", "--name", "Root",
                                 "--role", "admin", "--password", "long-enough-pw-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("root@example.org", Role.ADMIN)
    assert user.check_password("long-enough-pw-1")


def test_bad_role_short_password_and_duplicates_change_nothing(runner):
    base = ["create-user", "--email", "a@example.org", "--name", "Al"]
    assert runner.invoke(args=base + ["--role", "KING", "--password", "long-enough-pw-1"]).exit_code == 2
    short = runner.invoke(args=base + ["--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    for bad, message in ((["--email", "not-an-email"], "Invalid email"), (["--name", ""], "2 to 64"),
                         (["--name", "x" * 100], "2 to 64"), (["--password", "aaaaaaaaaa"], "more different")):
        args = dict(zip(base[1::2], base[2::2])) | {"--password": "long-enough-pw-1"} | dict(zip(bad[::2], bad[1::2]))
        result = runner.invoke(args=["create-user", *[x for kv in args.items() for x in kv]])
        assert result.exit_code == 1 and message in result.output, (bad, result.output)
    assert db.session.scalar(select(User)) is None
    assert runner.invoke(args=base + ["--password", "long-enough-pw-1"]).exit_code == 0
    again = runner.invoke(args=["create-user", "--email", "A@example.org", "--name", "Bo",
                                "--password", "long-enough-pw-1"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(db.session.scalars(select(User)).all()) == 1


def test_seed_demo_refuses_outside_development(app, runner):
    """seed-demo-in-production: it made admin@chessweb.example / admin-demo-2026 on a production database."""
    assert app.config["ENV"] == "production"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "CHESSWEB_ENV=development" in result.output
    assert "admin-demo-2026" not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_outside_development_on_purpose_prints_no_password(app, runner, monkeypatch):
    from chessweb import demo
    seeded = []
    monkeypatch.setattr(demo, "seed_demo", lambda: seeded.append(True) or True)  # the seeding: test_demo.py
    monkeypatch.setattr(demo, "is_seeded", lambda: bool(seeded))
    result = runner.invoke(args=["seed-demo", "--i-know-this-is-public"])
    assert result.exit_code == 0 and seeded, result.output
    assert "Demo data created" in result.output and "demo-2026" not in result.output


def test_a_missing_setting_is_one_line_without_traceback(tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "CHESSWEB_ENV", "CHESSWEB_SECRET_KEY")}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "seed-demo"], cwd=root,
                            env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: SECRET_KEY is not set."), lines
