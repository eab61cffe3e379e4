"""The record of processing (privacy/inventory.py, docs/privacy.md §2) covers every field of
the portal's models that looks personal, and names only fields that exist."""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone, translation

from agencies.choices import Role
from agencies.services.retention import person_neutral_values
from privacy.choices import DataCategory, LegalBasis
from privacy.inventory import FIELDS, LOOKS_PERSONAL, NOT_PERSONAL, SELF, declared
from requests_app.services.retention import LETTER_NEUTRAL, ROW_NEUTRAL

# The project's apps, and the two installed apps whose tables hold people's data.
SCANNED_APPS = {
    "agencies", "certificates", "dashboard", "demand", "devices", "mailing", "orgmerge",
    "portal", "privacy", "requests_app", "webhooks", "auth", "axes",
}  # fmt: skip


def scanned_fields() -> list[str]:
    """`label.field` of every concrete, non-relation field of the scanned apps' models."""
    return [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in SCANNED_APPS
        for field in model._meta.concrete_fields
        if not field.is_relation
    ]


def undeclared(fields, known, explained) -> list[str]:
    return sorted(
        key
        for key in fields
        if LOOKS_PERSONAL.search(key.rpartition(".")[2]) and key not in known
        and key not in explained
    )  # fmt: skip


def missing(keys) -> list[str]:
    found = []
    for key in keys:
        label, _dot, name = key.rpartition(".")
        try:
            field = apps.get_model(label)._meta.get_field(name)
        except (LookupError, FieldDoesNotExist):
            found.append(key)
            continue
        if not field.concrete:
            found.append(key)
    return found


def test_every_field_that_looks_personal_is_declared_or_explained():
    assert undeclared(scanned_fields(), declared(), NOT_PERSONAL) == []


def test_the_check_names_a_personal_field_left_out_of_the_declaration():
    known = {
        key: entry for key, entry in declared().items() if key != "agencies.Person.national_id"
    }
    assert undeclared(scanned_fields(), known, NOT_PERSONAL) == ["agencies.Person.national_id"]


def test_the_check_names_a_new_field_whose_name_looks_personal():
    fields = [*scanned_fields(), "requests_app.RequestRow.cccd_number", "agencies.Person.phone2"]
    assert undeclared(fields, declared(), NOT_PERSONAL) == [
        "agencies.Person.phone2",
        "requests_app.RequestRow.cccd_number",
    ]


def test_every_declared_field_exists():
    assert missing(declared()) == []


def test_every_field_explained_away_exists_and_still_looks_personal():
    assert missing(NOT_PERSONAL) == []
    assert [k for k in NOT_PERSONAL if not LOOKS_PERSONAL.search(k.rpartition(".")[2])] == []


def test_the_existence_check_names_a_field_that_does_not_exist():
    assert missing(["agencies.Person.national_id", "agencies.Person.cmnd", "nope.Model.x"]) == [
        "agencies.Person.cmnd",
        "nope.Model.x",
    ]


def test_each_field_is_declared_once_and_never_also_explained_away():
    keys = [entry.key for entry in FIELDS]
    assert len(keys) == len(set(keys))
    assert set(keys) & set(NOT_PERSONAL) == set()


def test_each_declaration_uses_the_known_words():
    roles = set(Role.values) | {SELF}
    for entry in FIELDS:
        assert entry.category in DataCategory.values, entry.key
        assert entry.basis in LegalBasis.values, entry.key
        assert str(entry.purpose) and str(entry.retention), entry.key
        assert entry.unmasked and set(entry.unmasked) <= roles, entry.key


def test_the_identity_numbers_and_birth_dates_of_people_are_declared():
    for key in (
        "agencies.Person.national_id",
        "agencies.Person.date_of_birth",
        "requests_app.RequestRow.national_id",
        "requests_app.RequestRow.date_of_birth",
        "requests_app.CertRequest.contact_national_id",
        "portal.AuditEvent.before",
        "portal.ImportJob.content",
    ):
        assert key in declared(), key


# A setting named in a retention text, with the value the text states: "PORTAL_X (24 giờ)".
NAMED_SETTING = re.compile(r"\b((?:PORTAL|CA)_[A-Z0-9_]+)(?: \((\d+))?")


def stated_settings(text: str) -> list[tuple[str, str]]:
    return NAMED_SETTING.findall(text)


def test_the_check_reads_the_settings_a_retention_text_names():
    assert stated_settings("PORTAL_RETENTION_DRAFT_DAYS (180) days, CA_ARCHIVE_RENEW_DAYS") == [
        ("PORTAL_RETENTION_DRAFT_DAYS", "180"),
        ("CA_ARCHIVE_RENEW_DAYS", ""),
    ]


def read_from_environment(name: str) -> bool:
    """Whether config/ reads `name` from the environment (PORTAL_LOGIN_COOLOFF_MINUTES sets
    AXES_COOLOFF_TIME)."""
    sources = (Path(settings.BASE_DIR) / "config").glob("*.py")
    return any(f'env_int("{name}"' in path.read_text(encoding="utf-8") for path in sources)


def test_each_setting_a_retention_text_names_exists_with_the_value_it_states():
    """A renamed setting, or a changed default, makes the record of processing wrong."""
    for language in ("vi", "en"):
        with translation.override(language):
            for entry in FIELDS:
                for name, value in stated_settings(str(entry.retention)):
                    assert hasattr(settings, name) or read_from_environment(name), (entry.key, name)
                    if value:
                        assert getattr(settings, name) == int(value), (entry.key, name)


def test_each_field_the_retention_sweep_empties_says_so_and_names_its_period():
    """The fields the sweep de-identifies (docs/retention.md §3) are declared with the text
    that names PORTAL_RETENTION_RECORD_YEARS; the ones it leaves say nothing of it."""
    person = set(person_neutral_values(now=timezone.now(), ids=[1])) - {"deidentified_at"}
    emptied = [
        *(f"agencies.Person.{name}" for name in sorted(person)),
        *(f"requests_app.CertRequest.{name}" for name in LETTER_NEUTRAL),
        *(f"requests_app.RequestRow.{name}" for name in ROW_NEUTRAL),
    ]
    assert len(emptied) == 21  # with the blind index of each emptied encrypted ID
    known = declared()
    for key in emptied:
        assert key in known, key
        assert "PORTAL_RETENTION_RECORD_YEARS" in str(known[key].retention), key
    for key in ("portal.AuditEvent.before", "certificates.Certificate.der", "auth.User.email"):
        assert "PORTAL_RETENTION_RECORD_YEARS" not in str(known[key].retention), key
