"""The record of processing (privacy/inventory.py, docs/privacy.md §2) covers every field of
the portal's models that looks personal, and names only fields that exist."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from agencies.choices import Role
from privacy.choices import DataCategory, LegalBasis
from privacy.inventory import FIELDS, LOOKS_PERSONAL, NOT_PERSONAL, SELF, declared

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
