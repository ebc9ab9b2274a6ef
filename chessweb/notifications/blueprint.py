"""The notifications blueprint (pages: inbox, preferences, the notification center)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
