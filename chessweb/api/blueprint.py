"""The API blueprint, apart from the package, so its view modules import it without an import circle."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
