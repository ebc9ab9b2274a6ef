"""The monitoring blueprint (administrators only), apart from the package to avoid an import circle."""
from flask import Blueprint

bp = Blueprint("monitoring", __name__, url_prefix="/admin")
