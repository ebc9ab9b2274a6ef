"""The tournaments blueprint, apart from the package, so its view modules import it without an import circle."""
from flask import Blueprint

bp = Blueprint("tournaments", __name__)
