"""The portal's authentication backend: Django's `ModelBackend`, whose `get_user` (run once per
request by the authentication middleware) reads the user's unread notification count in the
same query, for the navigation's "Thông báo" badge (docs/scale.md §12.6: one query fewer
on every page). The count is as the request began; every view that marks notifications read
redirects before anything shows it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from portal.notifications import unread_of


class PortalBackend(ModelBackend):
    def get_user(self, user_id):
        counted = (
            unread_of(OuterRef("pk")).order_by().values("user").annotate(n=Count("pk")).values("n")
        )
        # The header names the person (the reverse one-to-one `person` that agencies' Person
        # declares), read in the same query: none means the account's own name, no query more.
        users = (
            get_user_model()
            ._default_manager.select_related("person")
            .annotate(
                unread_notification_count=Coalesce(
                    Subquery(counted, output_field=IntegerField()), 0
                )
            )
        )
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
