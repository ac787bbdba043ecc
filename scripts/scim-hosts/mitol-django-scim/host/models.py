"""The models mitol-django-scim's adapters need. The user (scim_id, scim_external_id, global_id,
created_on/updated_on) is composed from the mixins of django-scim2 and mitol-django-common, as the
package's own test app does. The group: the package's settings leave django-scim2's GROUP_MODEL at
Django's auth.Group, which has no SCIM columns, so every /Groups request would answer 500; this one
is django-scim2's documented group shape (its mixin, a name, members reachable as user_set)."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin
from mitol.common.models import TimestampedModel, UserGlobalIdMixin


class Group(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=150, unique=True)


class User(AbstractUser, AbstractSCIMUserMixin, TimestampedModel, UserGlobalIdMixin):
    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)
