from mitol.scim.urls import urlpatterns  # noqa: F401
