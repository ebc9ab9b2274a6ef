"""Register, log in and log out views."""
from __future__ import annotations

import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import rerender_on_csrf_error
from ..extensions import db
from ..models import Role, User, utcnow
from . import rules, throttle
from .blueprint import bp
from .accounts import AccountTaken, create_user
from .forms import LoginForm, RegisterForm


def safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("tournaments.index")


@bp.route("/register", methods=["GET", "POST"])
@rerender_on_csrf_error
def register():
    """Create a participant account and log it in."""
    if current_user.is_authenticated:
        return redirect(url_for("tournaments.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        # "This email has an account" is an answer only this form must give, so asking it is throttled
        # exactly as guessing a password is.
        address = request.remote_addr or ""
        wait = throttle.seconds_to_wait(form.email.data, address)
        if wait:
            form.form_errors.append(throttle.wait_message(wait))
            return render_template("auth/register.html", form=form), 429, {"Retry-After": str(wait)}
        try:
            user = create_user(form.email.data, form.display_name.data, form.password.data, Role.PARTICIPANT)
            db.session.commit()
        except AccountTaken as taken:
            db.session.rollback()
            for field, message in taken.problems.items():
                form[field].errors.append(message)
            if "email" in taken.problems:
                throttle.record_failure(form.email.data, address)
        except IntegrityError:  # a concurrent registration won the race
            db.session.rollback()
            form.email.errors.append("An account with this email or name already exists.")
        else:
            login_user(user)
            flash(f"Welcome, {user.display_name}! Your account is ready.", "success")
            return redirect(url_for("tournaments.index"), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@rerender_on_csrf_error
def login():
    """Log in with email and password; repeated failures are slowed down."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        email = rules.login_email(form.email.data)
        address = request.remote_addr or ""
        wait = throttle.seconds_to_wait(email, address)
        if wait:
            form.form_errors.append(throttle.wait_message(wait))
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if not _password_matches(user, form.password.data):
            throttle.record_failure(email, address)
            form.form_errors.append("Wrong email or password.")
            return render_template("auth/login.html", form=form), 400
        throttle.forget_failures(email, address)
        user.last_seen_at = utcnow()
        db.session.commit()
        login_user(user, remember=form.remember.data)
        flash(f"Logged in as {user.display_name}.", "success")
        return redirect(safe_next(request.args.get("next")), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with CSRF token, so a link on another site cannot log you out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("tournaments.index"), code=303)


@cache
def _hash_of_no_account() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    """The same hashing work whether or not the email has an account: the answer time must not tell."""
    if user is None:
        check_password_hash(_hash_of_no_account(), password)
        return False
    return user.check_password(password)
