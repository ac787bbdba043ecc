"""Sets request.user to the harness's SCIM client for a request carrying the harness's token, and
to an anonymous user otherwise, which django-scim2's SCIMAuthCheckMiddleware (next in MIDDLEWARE)
answers with 401."""

from django.contrib.auth.models import AnonymousUser

from harness_token import carries_token


class HarnessClient:
    """The caller holding the token: what mitol's predicate asks of a SCIM client (active staff).
    No row in the users table, so it never shows up among the users idsync syncs."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = True
    pk = None


class HarnessTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = HarnessClient() if carries_token(request) else AnonymousUser()
        return self.get_response(request)
