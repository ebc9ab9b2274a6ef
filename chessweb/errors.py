"""Friendly error pages; a failed request never leaves a half-written transaction behind."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, render_template, request
from flask_login import login_url
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sql
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .realtime.failures import database_unavailable

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in to see this page.",
    403: "You do not have permission to do that.",
    404: "There is nothing here. The link may be old or mistyped.",
    405: "That action is not available here.",
    413: "The upload is too large.",
    429: "Too many requests. Wait a little and try again.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
    503: "The database is unavailable for a moment (a restart?). Nothing was saved; try again in a few seconds.",
}
CLIENT_CLOSED_REQUEST = 499  # nginx's status for "the client went away before the answer": never sent
RETRY_AFTER_SECONDS = 5  # a PostgreSQL restart or failover usually takes a few seconds


def rerender_on_csrf_error(view: Callable) -> Callable:
    """Mark a form view whose POST is handled only inside `form.validate_on_submit()`.

    For such views a bad CSRF token re-renders the form with the message next to it, instead of a
    bare error page; the view's own validation fails on the token, so nothing is written.
    """
    view.rerender_on_csrf_error = True  # type: ignore[attr-defined]
    return view


def register(app: Flask) -> None:
    """Install the handlers on the app."""
    # @login_required, role_required and abort(401) all end in _http_error: one rule for "log in first".
    login_manager.unauthorized_handler(lambda: abort(401))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    # The socket to the client broke (it reset the connection during a WebSocket handshake, say): nobody is
    # left to answer, and nothing of ours failed.
    for kind in (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        app.register_error_handler(kind, _client_gone)
    for kind in (sql.OperationalError, sql.InterfaceError, sql.TimeoutError):
        app.register_error_handler(kind, _database_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_json() -> bool:
    return request.path.startswith(("/healthz", "/api/")) or request.accept_mimetypes.best == "application/json"


def _page(code: int, message: str | None = None) -> Any:
    message = message or MESSAGES.get(code, "Something went wrong.")
    if _wants_json():
        return jsonify(error=message, status=code), code
    if request.headers.get("HX-Request") == "true":
        # htmx 4 swaps error responses too: a whole error page would land inside the table row that
        # asked. Show the message as a toast instead and leave the page as it is.
        response = current_app.make_response(
            (render_template("_toast.html", message=message, level="error"), code))
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "beforeend"
        return response
    return render_template("error.html", code=code, message=message), code


def _csrf_error(error: CSRFError) -> Any:
    db.session.rollback()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "rerender_on_csrf_error", False):
        response = current_app.make_response(view(**(request.view_args or {})))
        response.status_code = 400
        return response
    return _page(400, "The form has expired or did not come from this site. Reload the page and try again.")


def _http_error(error: HTTPException) -> Any:
    if error.code and error.code >= 500:
        db.session.rollback()
    if error.code == 401 and not _wants_json() and request.headers.get("HX-Request") != "true":
        return _to_login()
    custom = error.description != type(error).description  # the view's own words, not werkzeug's default
    shown = error.code in (400, 409, 413, 422) or (error.code == 403 and custom)
    return _page(error.code or 500, error.description if shown else None)


def _to_login() -> Any:
    """A page that needs a login sends the browser to the login form, which comes back here afterwards.

    After a POST, "here" is the page the form was on (its own URL may not answer GET)."""
    db.session.rollback()
    flash(login_manager.login_message, login_manager.login_message_category)
    if request.method in ("GET", "HEAD"):
        back: str | None = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host and referrer.scheme in ("http", "https")
        back = (referrer.path + (f"?{referrer.query}" if referrer.query else "")) if same_site else None
    return redirect(login_url(current_app.login_manager.login_view, next_url=back))


def _unexpected_error(error: Exception) -> Any:
    # Roll back so a half-done change is never committed by a later request on this session.
    db.session.rollback()
    g.error_summary = type(error).__name__  # the admin's list of recent errors shows this, never the trace
    current_app.logger.exception("Unhandled error on %s %s (request %s)", request.method, request.path,
                                 g.get("request_id", "-"))
    return _page(500)


def _client_gone(error: OSError) -> Any:
    db.session.rollback()
    current_app.logger.info("Client closed the connection during %s %s (request %s): %s", request.method,
                            request.path, g.get("request_id", "-"), type(error).__name__)
    return current_app.response_class(status=CLIENT_CLOSED_REQUEST)


def _database_error(error: Exception) -> Any:
    if not database_unavailable(error):
        return _unexpected_error(error)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is discarded at the end of the request anyway
        pass
    g.error_summary = "database unavailable"
    first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
    # One line, no traceback: an outage makes every request fail the same way for a few seconds.
    current_app.logger.warning("Database unavailable on %s %s (request %s): %s", request.method, request.path,
                               g.get("request_id", "-"), first_line[0] if first_line else type(error).__name__)
    try:
        response = current_app.make_response(_page(503))
    except Exception:  # the page itself needs the database (the signed-in user): answer without it
        message = escape(MESSAGES[503])
        response = current_app.make_response((
            "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>Error 503</title><main><h1>503</h1><p>{message}</p></main></html>", 503))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
