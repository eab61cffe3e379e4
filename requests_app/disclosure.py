"""What a letter's exports, API answers and documents show of ID numbers, birth and ID issue
dates and phones, and whose data that is (docs/privacy.md, "Exports, API and documents").

The rows' Excel export and the API write these masked unless full values were asked for
(`privacy.disclosure`); the letter's documents (Mẫu 01–06, PDF, Word, packages) are the signed
text and keep them in full, so each download by a user records one access (channel DOCUMENT)
naming the letter's contact and the people of its rows: `letter_document_access_record`.
"""

from privacy.access import Subject
from privacy.choices import AccessChannel
from privacy.disclosure import MASKED, Disclosure
from requests_app.cells import export_value
from requests_app.choices import FormKind
from requests_app.columns import table_columns

ROW = "requests_app.RequestRow"
PERSON = "agencies.Person"
LETTER = "requests_app.CertRequest"
DEVICE_PHONE = "devices.Device.phone"

# A row's column (in its Excel export and its API answer) → the inventory's field it shows;
# a Mẫu 05 row shows its certificate's person from the registry.
ROW_KEYS = {
    "date_of_birth": f"{ROW}.date_of_birth",
    "national_id": f"{ROW}.national_id",
    "id_issue_date": f"{ROW}.id_issue_date",
    "mobile": f"{ROW}.mobile",
    "registry_national_id": f"{PERSON}.national_id",
    "registry_id_issue_date": f"{PERSON}.id_issue_date",
}
# The Mẫu 01 CA sheet's masked columns (requests_app.excel.exporting).
CA_SHEET_COLUMNS = ("date_of_birth", "national_id", "id_issue_date", "mobile")

# What each letter document prints of these fields besides its contact's ID and mobile
# (templates/requests_app/pdf/).
CONTACT_KEYS = (
    f"{LETTER}.contact_national_id",
    f"{LETTER}.contact_id_issue_date",
    f"{LETTER}.contact_mobile",
)
DOCUMENT_ROW_KEYS = {
    FormKind.ISSUE_PERSON: [ROW_KEYS[name] for name in CA_SHEET_COLUMNS],
    # a move between agencies names the person's ID; a SIM PKI certificate its phone
    FormKind.RENEW_CHANGE: [ROW_KEYS["national_id"], DEVICE_PHONE],
    FormKind.REVOKE: [ROW_KEYS["registry_national_id"], ROW_KEYS["registry_id_issue_date"]],
}


def export_columns(form: str) -> list[str]:
    """The masked columns of a letter's Excel export."""
    if form == FormKind.ISSUE_PERSON:
        return list(CA_SHEET_COLUMNS)
    return [name for name in table_columns(form) if name in ROW_KEYS]


def export_keys(form: str) -> list[str]:
    """The inventory's fields a letter's Excel export writes masked unless asked in full."""
    return [ROW_KEYS[name] for name in export_columns(form)]


def _raw(row, name: str):
    if name.startswith("registry_"):
        person = row.certificate.person if row.certificate_id else None
        return getattr(person, name.removeprefix("registry_"), None) if person else None
    return getattr(row, name)


def row_cell(row, name: str, disclosure: Disclosure = MASKED) -> str:
    """A cell of the row as the Excel export and the API write it: `export_value`, with a
    masked field masked unless `disclosure` shows it in full (registry columns need the rows
    read `with_registry()`)."""
    key = ROW_KEYS.get(name)
    if key is None or key in disclosure.fields:
        return export_value(row, name)
    return disclosure.show(key, _raw(row, name)) or ""


def row_subject(row) -> Subject:
    """Whose data a row shows: its person (or its certificate's) and ID's blind index."""
    person = row.certificate.person if row.certificate_id and row.certificate.person_id else None
    return Subject(
        row.person_id or (person.pk if person else None),
        row.national_id_index or (person.national_id_index if person else "") or "",
    )


def rows_subjects(rows) -> list[Subject]:
    """The subjects of `rows` (a queryset of rows) in one query, without loading the rows:
    each row's person or its certificate's, and the ID's blind index."""
    found = rows.values_list(
        "person_id",
        "national_id_index",
        "certificate__person_id",
        "certificate__person__national_id_index",
    )
    subjects = (
        Subject(person or certificate_person, index or certificate_index or "")
        for person, index, certificate_person, certificate_index in found.order_by()
    )
    return [s for s in subjects if s.person_id or s.id_index]


def letter_document_access_record(*, cert_request, by):
    """Record that `by` downloaded one of the letter's documents, with every full value it
    prints (contact's ID and mobile, the rows' IDs, birth dates, phones): one access, channel
    DOCUMENT, no reason (the document is the letter itself). Nothing is recorded for a letter
    whose document names nobody (no contact ID, no person in its rows). Call it once the
    document is read or drawn, before it is answered: a recording that fails fails the
    download. A worker that sends a document on records nothing (no person reads it)."""
    subjects = []
    if cert_request.contact_national_id_index:
        subjects.append(Subject(None, cert_request.contact_national_id_index))
    row_keys = DOCUMENT_ROW_KEYS.get(cert_request.form, [])
    if row_keys:
        subjects += rows_subjects(cert_request.rows.all())
    if not subjects:
        return None
    return Disclosure(frozenset((*CONTACT_KEYS, *row_keys)), channel=AccessChannel.DOCUMENT).record(
        by=by, subjects=subjects, obj=cert_request
    )
