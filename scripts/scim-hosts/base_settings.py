"""What both host projects share: a throwaway SQLite database in the server's directory, loopback only,
no debug pages. Each project's settings star-import this and add its package."""

import os
import secrets

from harness_token import SERVER_DIR

# Nothing here signs anything that outlives the process (no sessions, no admin).
SECRET_KEY = secrets.token_urlsafe(32)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
PORT = int(os.environ["IDSYNC_SCIM_PORT"])
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(SERVER_DIR / "db.sqlite3")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
ROOT_URLCONF = "host.urls"
WSGI_APPLICATION = "host.wsgi.application"
# Errors go to gunicorn's error log (DIR/server.log), never as debug pages to the client.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
