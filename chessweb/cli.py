"""Command-line tasks: `flask create-user`, `flask seed-demo`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .auth import rules
from .extensions import db
from .models import NotificationPreference, Role, User


def create_user(email: str, display_name: str, password: str, role: Role) -> User:
    """Create an account with its notification preferences; raises ValueError (with a message for the
    person typing) when a value breaks the account rules or is taken."""
    email, display_name, password = rules.email(email), rules.display_name(display_name), rules.password(password)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise ValueError(f"an account with email {email} already exists")
    if db.session.scalar(select(User.id).where(func.lower(User.display_name) == display_name.lower())):
        raise ValueError(f"the display name {display_name!r} is taken")
    user = User(email=email, display_name=display_name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(NotificationPreference(user_id=user.id))
    return user


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
