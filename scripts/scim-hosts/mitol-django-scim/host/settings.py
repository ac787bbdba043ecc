"""Host project for mitol-django-scim: the package's own SCIM settings (mitol.scim.settings.scim) and
URLs, on the user and group models of models.py. Its access
check (django-scim2's SCIMAuthCheckMiddleware with mitol's staff predicate) reads request.user, which
the harness's middleware sets only for a request carrying the harness's token."""

from base_settings import *  # noqa: F403
from base_settings import PORT
from mitol.scim.settings.scim import *  # noqa: F403
from mitol.scim.settings.scim import SCIM_SERVICE_PROVIDER

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "mitol.common.apps.CommonApp",
    "django_scim",
    "mitol.scim.apps.ScimApp",
    "host",
]
AUTH_USER_MODEL = "host.User"
MIDDLEWARE = [
    "host.middleware.HarnessTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
# The settings module leaves the resources' base location to the deployment ("overridden by
# BASE_LOCATION_GETTER"): here it is the loopback address the harness serves on.
# GROUP_MODEL: see models.py.
SCIM_SERVICE_PROVIDER = {
    **SCIM_SERVICE_PROVIDER,
    "SCHEME": "http",
    "NETLOC": f"127.0.0.1:{PORT}",
    "GROUP_MODEL": "host.models.Group",
}
