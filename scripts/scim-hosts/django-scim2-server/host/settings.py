"""Host project for django-scim2-server: the package's app at /scim/v2/ on Django's own User and
Group models, with its documented access hook (SCIM2_SERVER_AUTH_CHECK) pointed at the harness's token."""

from base_settings import *  # noqa: F403

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim2_server",
]
MIDDLEWARE: list[str] = []
SCIM2_SERVER_AUTH_CHECK = "harness_token.carries_token"
