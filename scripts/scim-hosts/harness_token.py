"""The bearer token the harness wrote to DIR/token (0600), shared by the host projects of
scripts/django-scim-server: the one credential a SCIM request is accepted with."""

import hmac
import os
from pathlib import Path

SERVER_DIR = Path(os.environ["IDSYNC_SCIM_DIR"])
_TOKEN = (SERVER_DIR / "token").read_text().strip().encode()
if not _TOKEN:
    raise RuntimeError(f"{SERVER_DIR / 'token'} is empty")


def carries_token(request) -> bool:
    """Whether the request's Authorization header is `Bearer <the harness's token>`."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), _TOKEN)
