"""WSGI entry point: `gunicorn app:app`, `flask --app app run`."""
from chessweb import create_app

app = create_app()
