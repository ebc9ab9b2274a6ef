"""Command-line tasks: `flask create-user`, `flask seed-demo`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy.exc import IntegrityError

from .auth.accounts import create_user
from .extensions import db
from .models import Role


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", "display_name", required=True, help="Display name shown on pages.")
    @click.option("--role", type=click.Choice([r.value for r in Role], case_sensitive=False),
                  default=Role.PARTICIPANT.value, show_default=True)
    @click.password_option(help="Prompted for when not given.")
    def create_user_command(email: str, display_name: str, role: str, password: str) -> None:
        """Create an account, e.g. an admin: flask create-user --email a@b.c --name Ann --role ADMIN"""
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
    def seed_demo_command() -> None:
        """Fill an EMPTY database with demo accounts and tournaments; print the demo logins."""
        from .demo import LOGINS, is_seeded, seed_demo
        if seed_demo():
            click.echo("Demo data created: a round robin and a Swiss under way, and an open registration.")
        else:
            click.echo("The database is not empty; no demo data added.")
        if is_seeded():
            click.echo("Demo logins (email / password):")
            for login in LOGINS:
                click.echo(f"  {login.role.value.lower():<12} {login.email:<28} {login.password}")
