"""Django's and its admin's own messages that the portal shows and whose Vietnamese translation
Django does not ship (its Vietnamese catalogues predate them): the time left that `timeuntil`
prints, the admin's navigation and the form messages of Django's fields.

Named here so that `makemessages` keeps them in the portal's catalogues (locale/, first on
Django's search path): locale/vi gives them their Vietnamese, locale/en keeps their English.
tests/portal/test_django_messages.py renders pages in Vietnamese and fails on any of Django's
or the admin's English messages left untranslated (docs/architecture.md, "Languages").
Nothing imports this module; the strings are only marked, never used from here.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# django/utils/timesince.py (`timeuntil`, `timesince`): "còn 4 năm, 11 tháng".
TIME_LEFT = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)

# django/contrib/admin/templates: the admin's frame, index, lists, forms and history.
ADMIN = (
    gettext_noop("Skip to main content"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Error:"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    ngettext_lazy("entry", "entries", "count"),
    gettext_noop("Set password"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."
    ),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
)

# django/core/validators.py, django/forms, django/db/models/fields: what a form says back.
FORMS = (
    gettext_noop("Enter a valid domain name."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Enter a valid IPv4 address."),
    gettext_noop("Enter a valid IPv6 address."),
    gettext_noop("Enter a valid IPv4 or IPv6 address."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Constraint %(name)s is violated."),
    gettext_noop("Value must be valid JSON."),
    gettext_noop("%(pk)s is not a valid value."),
    gettext_noop("%(value)s is not a valid UUID."),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    gettext_noop("Ensure this value is a multiple of step size %(limit_value)s."),
    gettext_noop(
        "File extension “%(extension)s” is not allowed. Allowed extensions are: "
        "%(allowed_extensions)s."
    ),
    ngettext_lazy(
        "Please submit at most %(num)d form.", "Please submit at most %(num)d forms.", "num"
    ),
    ngettext_lazy(
        "Please submit at least %(num)d form.", "Please submit at least %(num)d forms.", "num"
    ),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    gettext_noop("Forbidden"),
)
