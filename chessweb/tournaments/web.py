"""Small helpers the tournament and game views share: loading with permission checks, htmx, errors."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..extensions import db
from ..live import fragments
from ..models import Tournament
from ..permissions import can_view, require_manage
from .service import ServiceError


def visible_tournament(tournament_id: int) -> Tournament:
    """The tournament, or 404 when it does not exist or the viewer may not see it."""
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None or not can_view(current_user, tournament):
        abort(404)
    return tournament


def managed_tournament(tournament_id: int) -> Tournament:
    """The tournament, or 404/401/403 unless the current user runs it."""
    tournament = db.session.get(Tournament, tournament_id)
    if tournament is None:
        abort(404)
    require_manage(tournament)
    return tournament


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def page_or_fragment(template: str, fragment: str, context: dict[str, Any], **page_context: Any) -> Response:
    """The full page, or for htmx just the fragment macro; the response varies on HX-Request either way."""
    if is_htmx():
        macro = render_fragment(fragment, context)
        response = make_response(macro)
    else:
        response = make_response(render_template(template, **context, **page_context))
    response.vary.add("HX-Request")
    return response


def render_fragment(name: str, context: dict[str, Any]) -> str:
    """Render one macro of templates/tournaments/_fragments.html with the live renderer (the same bytes as
    the full page and the WebSocket push)."""
    return str(fragments.render("tournaments/_fragments.html", name, **context))


def report_error(error: ServiceError, form: FlaskForm | None = None) -> int:
    """Show a service's message next to its form field, or as a flash; returns the HTTP status to use."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        flash(error.message, "error")
    return error.status


def form_problems(form: FlaskForm) -> str:
    """All of a form's errors as one sentence, for forms shown as a single button or row."""
    return " ".join(f"{getattr(form, name).label.text}: {' '.join(errs)}" if name != "csrf_token"
                    else "The form has expired; reload the page and try again."
                    for name, errs in form.errors.items())


def live_url(*channels: str, since: int | None = None) -> str | None:
    """The WebSocket URL that subscribes to `channels`, or None while the app serves no /ws endpoint.

    `since`: the tournament revision the page's fragments were read at (or after); the connect snapshot
    then leaves out what is not newer, so a fresh page is not sent again what it already shows."""
    from urllib.parse import urlencode

    from flask import current_app
    from flask_login import current_user

    from ..notifications.channels import with_notice_channels
    if not any(rule.rule == "/ws" for rule in current_app.url_map.iter_rules()):
        return None
    query = [("channel", channel) for channel in with_notice_channels(channels, current_user)]
    return "/ws?" + urlencode(query + ([("since", str(since))] if since is not None else []))
