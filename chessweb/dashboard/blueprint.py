"""The dashboard blueprint, apart from the package, so its view modules import it without an import circle."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
