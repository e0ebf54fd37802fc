"""Gunicorn settings for production (`gunicorn wsgi:app` reads this file from the app folder).

Workers default to WEB_CONCURRENCY (gunicorn's own variable, 2 x cores + 1 is a good start).
A SIGTERM lets each worker finish the request in hand (graceful_timeout) before it exits, so an
inquiry that was answered is always stored. There is no gunicorn access log: the app writes one
line per request with a request id and without query strings (a staff search is a name).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "sync"
# A sync worker tells the arbiter it is alive only between requests, so this bounds the longest
# request: the CSV export of every lead, the longest, must finish well inside it even at a
# million leads on a busy small server. A hung worker is still replaced within two minutes.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = None
errorlog = "-"
loglevel = "warning"
