"""WSGI entry point: `gunicorn app:app`, `flask --app app run`."""
from chessweb import create_app
from chessweb.cli import config_errors_in_one_line

with config_errors_in_one_line():
    app = create_app()
