"""System checks of the portal's own settings and of what the project declares about its
encrypted fields (`manage.py check`, run by migrate and runserver)."""

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.admin.sites import all_sites
from django.core.checks import Error, Tags, register
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP
from django.urls import URLResolver, get_resolver
from django_filters import FilterSet, OrderingFilter

from portal.audit_keys import key_problems
from portal.field_crypto import (
    DEV_BLIND_INDEX_KEY,
    DEV_FIELD_KEY,
    MIN_BLIND_INDEX_KEY_LENGTH,
    FieldKeyError,
    field_key_ring,
)


@register(Tags.security)
def check_audit_keys(app_configs, **kwargs):
    """Outside DEBUG the audit chain needs a real key of its own (docs/architecture.md §6)."""
    if settings.DEBUG:
        return []
    return [
        Error(
            message,
            hint="Generate a key with `openssl rand -hex 32`, set AUDIT_HMAC_KEY (not SECRET_KEY).",
            id=f"portal.{code}",
        )
        for code, message in key_problems()
    ]


@register(Tags.security, deploy=True)
def check_field_keys(app_configs, **kwargs):
    """Production brings its own keys for the personal data at rest (docs/privacy-at-rest.md):
    the development ones are public, and without keys nothing could be read."""
    errors = []
    keys = [key for key in settings.PORTAL_FIELD_KEYS if key.strip()]
    if not keys:
        errors.append(
            Error(
                "PORTAL_FIELD_KEYS is not set: ID numbers, birth dates and phones cannot be "
                "encrypted at rest.",
                hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.",
                id="portal.E020",
            )
        )
    elif DEV_FIELD_KEY in keys:
        errors.append(
            Error(
                "PORTAL_FIELD_KEYS holds the public development key.",
                hint="Generate a key of your own and rotate (`manage.py rotate_field_keys`).",
                id="portal.E021",
            )
        )
    else:
        try:
            field_key_ring()
        except FieldKeyError as error:
            errors.append(Error(str(error), id="portal.E022"))
    index_key = settings.PORTAL_BLIND_INDEX_KEY or ""
    if len(index_key) < MIN_BLIND_INDEX_KEY_LENGTH or index_key == DEV_BLIND_INDEX_KEY:
        errors.append(
            Error(
                f"PORTAL_BLIND_INDEX_KEY is {'a development default' if index_key else 'not set'}"
                f" or shorter than {MIN_BLIND_INDEX_KEY_LENGTH} characters.",
                hint="Generate one with `openssl rand -hex 32`, distinct from every other key.",
                id="portal.E023",
            )
        )
    return errors


# --- portal.E024: nothing sorts, groups, filters or searches by an encrypted field -------------
# A token says nothing about its value (docs/privacy-at-rest.md, "What can no longer be done"):
# sorting by one sorts ciphertexts, a list filter lists one choice per ciphertext, a search or
# a filter raises FieldError at query time. Django gives a field no say in ORDER BY, so an
# `order_by("national_id")` written in code cannot be refused when it runs; what is declared
# (a model's and a list view's ordering, the admin's, the FilterSets') is refused here, at
# every `manage.py check`, `migrate` and `runserver`.
E024 = "portal.E024"
_HINT = (
    "Sort and group by another column; find a whole value through the blind index "
    "(portal.field_crypto.blind_index); show it in a list without letting the list sort by "
    "it (`sortable_by`, or a display method without `admin_order_field`)."
)


def encrypted_target(model, path):
    """The encrypted field that `path` reaches from `model` ("-holder__national_id", an F() or
    OrderBy expression), or None. A name that is not a field (an annotation, a lookup) is left
    to Django's own checks."""
    if hasattr(path, "resolve_expression"):
        for name in _referenced_names(path):
            field = encrypted_target(model, name)
            if field is not None:
                return field
        return None
    if not isinstance(path, str):
        return None
    opts = model._meta
    for name in path.lstrip("-+?^=@").split(LOOKUP_SEP):
        if opts is None:
            return None
        try:
            field = opts.pk if name == "pk" else opts.get_field(name)
        except FieldDoesNotExist:
            return None
        if getattr(field, "encrypted", False):
            return field
        related = field.related_model if field.is_relation else None
        opts = related._meta if related is not None and related != "self" else None
    return None


def _referenced_names(expression) -> list[str]:
    if isinstance(expression, F):
        return [expression.name]
    names = []
    for source in getattr(expression, "get_source_expressions", list)():
        if source is not None:
            names += _referenced_names(source)
    return names


def _refused(obj, where: str, field) -> Error:
    return Error(
        f"{where} uses the encrypted field {field.model._meta.label}.{field.name}: its column "
        "holds ciphertext, which cannot be sorted, grouped, filtered or searched in the database.",
        hint=_HINT,
        obj=obj,
        id=E024,
    )


def model_ordering_errors(model) -> list[Error]:
    """A model whose Meta.ordering sorts by an encrypted field."""
    return [
        _refused(model, f"{model._meta.label}.Meta.ordering ({item!r})", field)
        for item in model._meta.ordering or ()
        if (field := encrypted_target(model, item)) is not None
    ]


def admin_errors(model_admin) -> list[Error]:
    """A ModelAdmin that sorts (`ordering`, a sortable `list_display` column), searches,
    filters (`list_filter`) or draws a date hierarchy by an encrypted field."""
    model, name = model_admin.model, type(model_admin).__name__
    found = [(f"{name}.ordering ({item!r})", item) for item in model_admin.ordering or ()]
    found += [(f"{name}.search_fields ({item!r})", item) for item in model_admin.search_fields]
    for item in model_admin.list_filter:
        path = item[0] if isinstance(item, list | tuple) else item
        found.append((f"{name}.list_filter ({path!r})", path))
    if model_admin.date_hierarchy:
        found.append((f"{name}.date_hierarchy", model_admin.date_hierarchy))
    sortable_by = model_admin.sortable_by
    for item in model_admin.list_display:
        if sortable_by is not None and item not in sortable_by:
            continue
        # As the change list sorts: by the model's field of that name (or path) first, else
        # by the `admin_order_field` of the admin's or the model's attribute.
        if isinstance(item, str):
            found.append((f"{name}.list_display ({item!r}, sortable)", item))
            column = getattr(model_admin, item, None) or getattr(model, item, None)
        else:
            column = item
        column = column.fget if isinstance(column, property) else column
        order = getattr(column, "admin_order_field", None)
        if order is not None:
            found.append((f"{name}.list_display ({item!r}, admin_order_field)", order))
    return [
        _refused(model_admin, where, field)
        for where, path in found
        if (field := encrypted_target(model, path)) is not None
    ]


def filterset_errors(filterset) -> list[Error]:
    """A FilterSet that orders by an encrypted field (OrderingFilter) or filters by one (a
    filter on it without a method of its own)."""
    model, name = filterset._meta.model, filterset.__name__
    if model is None:
        return []
    errors = []
    for param, declared in filterset.base_filters.items():
        if isinstance(declared, OrderingFilter):
            paths = list(declared.param_map.values())
        elif declared.method is None and declared.lookup_expr != "isnull":
            paths = [declared.field_name]
        else:
            continue
        errors += [
            _refused(filterset, f"{name}.{param} ({path!r})", field)
            for path in paths
            if (field := encrypted_target(model, path)) is not None
        ]
    return errors


def view_errors(view) -> list[Error]:
    """A list view (Django's or the API's) whose ordering, allowed orderings or cursor
    pagination's ordering name an encrypted field of its queryset's model."""
    queryset = getattr(view, "queryset", None)
    model = getattr(view, "model", None) or getattr(queryset, "model", None)
    if model is None:
        return []
    orderings = getattr(view, "ordering", None) or ()
    orderings = [orderings] if isinstance(orderings, str) else list(orderings)
    fields = getattr(view, "ordering_fields", None)
    orderings += list(fields) if isinstance(fields, list | tuple) else []
    paging = getattr(getattr(view, "pagination_class", None), "ordering", None) or ()
    orderings += [paging] if isinstance(paging, str) else list(paging)
    return [
        _refused(view, f"{view.__module__}.{view.__name__} ordering ({item!r})", field)
        for item in orderings
        if (field := encrypted_target(model, item)) is not None
    ]


def _views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
            continue
        view = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        if view is not None:
            yield view


def _project_filtersets(views) -> set:
    """The FilterSets of the project's apps (once their views are imported) and of its views."""
    seen, stack = set(), [FilterSet]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in seen:
                seen.add(subclass)
                stack.append(subclass)
    apps_modules = {config.name for config in django_apps.get_app_configs()}
    found = {cls for cls in seen if cls.__module__.split(".")[0] in apps_modules}
    found |= {view.filterset_class for view in views if getattr(view, "filterset_class", None)}
    return found


@register(Tags.models, Tags.admin, Tags.urls)
def check_encrypted_ordering(app_configs, **kwargs):
    """portal.E024 over the whole project: every model, every admin of every admin site,
    every list view of the URLconf and every FilterSet."""
    models = (
        [model for config in app_configs for model in config.get_models()]
        if app_configs
        else django_apps.get_models()
    )
    errors = [error for model in models for error in model_ordering_errors(model)]
    for site in all_sites:
        for model_admin in site._registry.values():
            errors += admin_errors(model_admin)
    views = list(dict.fromkeys(_views(get_resolver().url_patterns)))
    for view in views:
        errors += view_errors(view)
    for filterset in sorted(_project_filtersets(views), key=lambda cls: cls.__qualname__):
        errors += filterset_errors(filterset)
    return errors
