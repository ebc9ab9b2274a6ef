"""Command-line tasks: `flask create-user`, `flask seed-demo`; a missing setting explained in one line."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy.exc import IntegrityError

from .auth.accounts import create_user
from .config import ConfigError
from .extensions import db
from .models import Role


@contextmanager
def config_errors_in_one_line() -> Iterator[None]:
    """Around `create_app()` in the entry module: under a `flask` command a ConfigError becomes one line
    ("Error: SECRET_KEY is not set. ...") and exit status 1 instead of a traceback. Elsewhere (gunicorn) it
    propagates unchanged, so the server's own boot-error handling stops it."""
    try:
        yield
    except ConfigError as error:
        if click.get_current_context(silent=True) is None:
            raise
        raise click.ClickException(" ".join(str(error).split())) from None


def _not_a_server(app: Flask) -> None:
    """A command's process serves no page: no health samples or alerts from it (seeding the demo used a whole
    core, and the admins found a CPU alert from it in their notification centre)."""
    app.extensions["monitoring"].enabled = False


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", required=True, help="Display name shown on pages.")
    @click.option("--role", type=click.Choice([r.value for r in Role], case_sensitive=False),
                  default=Role.PARTICIPANT.value, show_default=True)
    @click.password_option(help="Prompted for when not given.")
    def create_user_command(email: str, display_name: str, role: str, password: str) -> None:
        """Create an account, e.g. an admin: flask create-user --email a@b.c --name Ann --role ADMIN"""
        _not_a_server(app)
        try:
            user = create_user(email, display_name, password, Role(role.upper()))
            db.session.commit()
        except ValueError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except IntegrityError:  # a concurrent create won; its message would show the row, hash included
            db.session.rollback()
            raise click.ClickException("an account with this email or name already exists") from None
        click.echo(f"Created {user.role.value} {user.display_name} <{user.email}>.")

    @app.cli.command("seed-demo")
    @click.option("--i-know-this-is-public", "public_ok", is_flag=True,
                  help="Seed outside development anyway (the demo passwords are published in the README).")
    def seed_demo_command(public_ok: bool) -> None:
        """Fill an EMPTY database with demo accounts and tournaments; print the demo logins (development only)."""
        _not_a_server(app)
        from .demo import LOGINS, is_seeded, seed_demo
        development = app.config["ENV"] == "development"
        if not development and not public_ok:
            raise click.ClickException(
                "seed-demo makes an admin whose password is published in the README: it runs only with "
                "CHESSWEB_ENV=development (or add --i-know-this-is-public). Nothing was changed.")
        if seed_demo():
            click.echo("Demo data created: a round robin and a Swiss under way, and an open registration.")
        else:
            click.echo("The database is not empty; no demo data added.")
        if is_seeded() and development:
            click.echo("Demo logins (email / password):")
            for login in LOGINS:
                click.echo(f"  {login.role.value.lower():<12} {login.email:<28} {login.password}")
