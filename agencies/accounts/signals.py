"""Audit of identity events, wherever they happen: sign-in, sign-out, a failed sign-in, and
every grant or revocation of a right, the Django admin included (docs/architecture.md §6).

Receivers of Django's signals record them with `portal.audit.audit_record`, inside the save
that makes the change (the admin saves in one transaction), so no path can change a right
without a trace. The actor is the signed-in user of the request (`portal.middleware.
current_actor`), none outside a request, or the one a service names on the membership it saves
(`membership._audit_actor` or `user._audit_actor`, agencies/services/memberships.py: a grant
carried out by a worker once approved). No service of `agencies` audits memberships or users itself, so nothing is
recorded twice.

Events: `account.login`, `account.logout`, `account.login_failed` (the user name as typed,
cut short; never the password), `account.role_granted` / `account.role_changed` /
`account.role_revoked` (a Membership), `account.flags_changed` (is_active, is_staff,
is_superuser; deactivating also ends the user's sessions), `account.groups_changed` and
`account.permissions_changed` (the user's groups and direct permissions).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from agencies.accounts import sessions
from agencies.accounts.reauth import CHECKING_FLAG
from agencies.models import Membership
from portal.audit import audit_record
from portal.middleware import current_actor

FLAGS = ("is_active", "is_staff", "is_superuser")
USERNAME_KEPT = 150  # the longest user name Django allows; longer input is cut


def _on_login(sender, request, user, **kwargs):
    with transaction.atomic():
        sessions.session_start(request=request, user=user)
        audit_record(actor=user, action="account.login", obj=user)


def _on_logout(sender, request, user, **kwargs):
    with transaction.atomic():
        sessions.session_forget(request=request)
        if user is not None:
            audit_record(actor=user, action="account.logout", obj=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, CHECKING_FLAG, False):
        return  # a confirmation of an action: agencies/accounts/reauth.py records it
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")
    with transaction.atomic():
        audit_record(
            actor=None,
            action="account.login_failed",
            after={"username": username[:USERNAME_KEPT]},
        )


# --- memberships (roles) -------------------------------------------------------------------


def _membership_state(membership: Membership) -> dict:
    return {
        "user": membership.user.get_username(),
        "role": membership.role,
        "organization": membership.organization_id,
    }


def _membership_before(sender, instance: Membership, **kwargs):
    instance._audit_before = None
    if instance.pk is not None:
        old = Membership.objects.filter(pk=instance.pk).select_related("user").first()
        instance._audit_before = _membership_state(old) if old is not None else None


def _membership_saved(sender, instance: Membership, created: bool, raw=False, **kwargs):
    if raw:
        return  # loading a fixture
    before = getattr(instance, "_audit_before", None)
    after = _membership_state(instance)
    if before == after:
        return
    action = "account.role_granted" if created or before is None else "account.role_changed"
    actor = getattr(instance, "_audit_actor", None) or current_actor()
    audit_record(actor=actor, action=action, obj=instance, before=before, after=after)


def _membership_deleted(sender, instance: Membership, **kwargs):
    audit_record(
        actor=current_actor(),
        action="account.role_revoked",
        obj=instance,
        before=_membership_state(instance),
    )


# --- the user's own flags, groups and permissions ------------------------------------------


def _tracks_flags(update_fields) -> bool:
    return update_fields is None or bool(set(update_fields) & set(FLAGS))


def _user_before(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._audit_flags = None
    if raw or not _tracks_flags(update_fields):
        return
    if instance.pk is not None:
        instance._audit_flags = (
            sender.objects.filter(pk=instance.pk).values(*FLAGS).first()  # None: a new row
        )


def _user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or not _tracks_flags(update_fields):
        return
    before = getattr(instance, "_audit_flags", None)
    after = {flag: getattr(instance, flag) for flag in FLAGS}
    if before is None:
        # a new account: a record only when it starts with more than an ordinary user's rights
        if not (instance.is_staff or instance.is_superuser):
            return
        before = {}
    changed = {flag for flag in FLAGS if before.get(flag) != after[flag]}
    if not changed:
        return
    if "is_active" in changed and not instance.is_active:
        after["sessions_ended"] = sessions.user_sessions_end(user=instance)
    audit_record(
        actor=getattr(instance, "_audit_actor", None) or current_actor(),
        action="account.flags_changed",
        obj=instance,
        before=before,
        after=after,
    )


def _names(model, pks) -> list[str]:
    if not pks:
        return []
    return sorted(str(row) for row in model.objects.filter(pk__in=pks))


def _m2m_changed(action_name: str, field: str):
    """A receiver for the user's many-to-many `field` ("groups" or "user_permissions"), from
    either side: `user.groups.add(group)` or `group.user_set.add(user)`."""

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action == "pre_clear":  # read what is about to go, before it goes
            if reverse:
                instance._audit_cleared = list(model.objects.filter(**{field: instance}))
            else:
                instance._audit_cleared = list(getattr(instance, field).all())
            return
        if action == "post_clear":
            cleared = getattr(instance, "_audit_cleared", [])
            if reverse:
                changes, users = {"removed": [str(instance)]}, cleared
            else:
                changes, users = {"removed": sorted(str(item) for item in cleared)}, [instance]
        elif action in ("post_add", "post_remove") and pk_set:
            key = "added" if action == "post_add" else "removed"
            if reverse:  # one event per user, naming the group or permission
                changes, users = {key: [str(instance)]}, list(model.objects.filter(pk__in=pk_set))
            else:
                changes, users = {key: _names(model, pk_set)}, [instance]
        else:
            return
        if not any(changes.values()):
            return  # clearing what was already empty
        for user in users:
            audit_record(actor=current_actor(), action=action_name, obj=user, after=changes)

    return receiver


_groups_changed = _m2m_changed("account.groups_changed", "groups")
_permissions_changed = _m2m_changed("account.permissions_changed", "user_permissions")


def connect() -> None:
    """Wire the receivers (agencies/apps.py `ready()`)."""
    user_model = get_user_model()
    uid = "agencies.accounts."
    user_logged_in.connect(_on_login, dispatch_uid=uid + "login")
    user_logged_out.connect(_on_logout, dispatch_uid=uid + "logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid=uid + "login_failed")
    pre_save.connect(_membership_before, sender=Membership, dispatch_uid=uid + "m_pre")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid=uid + "m_post")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid=uid + "m_del")
    pre_save.connect(_user_before, sender=user_model, dispatch_uid=uid + "u_pre")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid=uid + "u_post")
    m2m_changed.connect(
        _groups_changed, sender=user_model.groups.through, dispatch_uid=uid + "groups"
    )
    m2m_changed.connect(
        _permissions_changed,
        sender=user_model.user_permissions.through,
        dispatch_uid=uid + "perms",
    )
