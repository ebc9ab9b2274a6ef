"""The organizer's webhook pages: register an endpoint (its secret shown once), see its delivery log, redeliver."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from ..extensions import db
from ..models import Role, Tournament
from ..permissions import role_required
from . import addresses, delivery, signing
from .models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")
MAX_ENDPOINTS = 20
LOG_LENGTH = 50


def _http_url(_form: FlaskForm, field: StringField) -> None:
    """An http(s) URL with a host and a valid port, whose host is (or resolves only to) public internet
    addresses unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on (addresses.py; checked again on every delivery)."""
    try:
        parts = urlsplit(field.data or "")
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ValidationError("Give an http:// or https:// URL with a valid port.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Give an http:// or https:// URL.")
    try:
        addresses.checked_addresses(field.data, bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES")))
    except addresses.RefusedAddress as exc:
        raise ValidationError(str(exc)) from exc


class EndpointForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), Length(max=500), _http_url])
    tournament = SelectField("Tournament", choices=[], validate_choice=True)
    events = SelectMultipleField("Events", choices={e: e for e in EVENT_TYPES},
                                 widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
                                 validators=[DataRequired("Choose at least one event.")])


class ActionForm(FlaskForm):
    pass


def _own_tournaments() -> list[Tournament]:
    query = select(Tournament).order_by(Tournament.id.desc())
    if current_user.role != Role.ADMIN:
        query = query.where(Tournament.organizer_id == current_user.id)
    return list(db.session.scalars(query))


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.owner_id != current_user.id:
        abort(404)
    return endpoint


@bp.route("", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def endpoints():
    """The organizer's endpoints, and the form to add one."""
    form = EndpointForm()
    form.tournament.choices = {"": "All my tournaments", **{str(t.id): t.name for t in _own_tournaments()}}
    secret = None
    mine = list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.owner_id == current_user.id)
                                   .order_by(WebhookEndpoint.id.desc())))
    if form.validate_on_submit():
        if len(mine) >= MAX_ENDPOINTS:
            form.url.errors = [f"You have {MAX_ENDPOINTS} endpoints; remove one first."]
        else:
            secret = signing.new_secret()
            endpoint = WebhookEndpoint(owner_id=current_user.id, url=form.url.data, secret=secret,
                                       tournament_id=int(form.tournament.data) if form.tournament.data else None,
                                       events=" ".join(e for e in EVENT_TYPES if e in form.events.data))
            db.session.add(endpoint)
            db.session.commit()
            mine.insert(0, endpoint)
    status = 422 if form.errors else 200
    return render_template("webhooks/endpoints.html", form=form, secret=secret, endpoints=mine,
                           action_form=ActionForm()), status


@bp.get("/<int:endpoint_id>")
@role_required(Role.ORGANIZER)
def log(endpoint_id: int):
    """The endpoint's latest deliveries: status, attempts, the receiver's last answer."""
    endpoint = _endpoint(endpoint_id)
    deliveries = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                    .order_by(WebhookDelivery.id.desc()).limit(LOG_LENGTH)).all()
    return render_template("webhooks/log.html", endpoint=endpoint, deliveries=deliveries, action_form=ActionForm())


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@role_required(Role.ORGANIZER)
def redeliver(endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(endpoint_id)
    found = db.session.get(WebhookDelivery, delivery_id)
    if not ActionForm().validate_on_submit() or found is None or found.endpoint_id != endpoint.id:
        abort(400)
    delivery.redeliver(found)
    sender = current_app.extensions.get("webhook_sender")
    if sender is not None:
        sender.wake()
    flash(f"Delivery {found.id} will be sent again now.", "success")
    return redirect(url_for("webhooks.log", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/delete")
@role_required(Role.ORGANIZER)
def delete(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    db.session.delete(endpoint)
    db.session.commit()
    flash("The endpoint is removed; nothing more is sent to it.", "success")
    return redirect(url_for("webhooks.endpoints"))
