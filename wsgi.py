"""WSGI entry point: `gunicorn wsgi:app` and `flask --app wsgi ...`."""

import gc

from clinic import create_app

app = create_app()
# What exists now (the app, its imports) lives as long as the process: keep it out of the
# garbage collector's full passes, which otherwise walk it every few requests and make those
# the slowest staff page views.
gc.freeze()
