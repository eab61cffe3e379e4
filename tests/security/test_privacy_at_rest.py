"""Personal data at rest (docs/privacy-at-rest.md): no ID number, birth date, issue date nor
phone in clear in any column of any table, files kept in rows included; encrypted fields
refuse lookups that would silently match nothing; `check --deploy` refuses missing or
development keys."""

import io
import zipfile
from datetime import date

import pytest
from django.core.checks import run_checks
from django.core.exceptions import FieldError, ValidationError
from django.db import connection

from agencies.models import Person
from agencies.validators import national_id_validator
from devices.choices import Carrier, DeviceKind
from devices.models import Device
from portal.field_crypto import DEV_FIELD_KEY, blind_index
from portal.lib.bulk import update_rows
from portal.models import IdempotencyKey, ImportJob
from requests_app.models import LetterDocument, RequestRow
from tests import factories as f

PERSON_ID = "038179004321"
ROW_ID = "001290007788"
CONTACT_ID = "046185001122"
PHONES = ("0987000111", "0912000222", "0933000333", "0977000444")
DATES = (date(1979, 11, 23), date(2019, 4, 17), date(1991, 2, 27), date(2018, 9, 14))


def _letter_pdf() -> bytes:
    """A PDF whose page text (uncompressed) holds the row's and the person's ID numbers, as a
    letter's table does."""
    return (
        b"%PDF-1.7\n1 0 obj << /Length 60 >> stream\nBT (" + ROW_ID.encode() + b" "
        + PERSON_ID.encode() + b" " + PHONES[2].encode() + b") Tj ET\nendstream endobj\n%%EOF\n"
    )  # fmt: skip


def _workbook() -> bytes:
    """An uploaded list whose cells (stored, not deflated) hold an ID number and a phone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as workbook:
        workbook.writestr(
            "xl/sharedStrings.xml",
            f"<sst><si><t>{ROW_ID}</t></si><si><t>{PHONES[2]}</t></si></sst>",
        )
    return buffer.getvalue()


def _seed(cast):
    person = f.PersonFactory(
        organization=cast.agency_a,
        national_id=PERSON_ID,
        mobile=PHONES[0],
        date_of_birth=DATES[0],
        id_issue_date=DATES[1],
    )
    letter = f.letter_draft(
        cast,
        contact_national_id=CONTACT_ID,
        contact_mobile=PHONES[1],
        contact_id_issue_date=DATES[3],
    )
    f.letter_row_add(
        letter,
        cast.clerk_a,
        national_id=ROW_ID,
        mobile=PHONES[2],
        date_of_birth=DATES[2],
        id_issue_date=DATES[3],
    )
    Device.objects.create(
        kind=DeviceKind.SIM_PKI,
        serial="8984040000000000001",
        iccid="8984040000000000001",
        phone=PHONES[3],
        carrier=Carrier.VIETTEL,
        agency=cast.agency_a,
        holder=person,
    )
    # The letter's PDF, kept in its row too (StoredDocument.in_row).
    document = LetterDocument(letter=letter, version=1)
    document.set_content(_letter_pdf())
    document.save()
    # An import waiting for its confirmation, with its uploaded workbook; an API response
    # kept for its idempotency key.
    ImportJob.objects.create(
        owner=cast.clerk_a,
        kind="letter_rows",
        file_name="danh-sach.xlsx",
        content=_workbook(),
        result={"rows": [{"line": 2, "data": {"national_id": ROW_ID, "mobile": PHONES[2]}}]},
    )
    IdempotencyKey.objects.create(
        user=cast.clerk_a,
        key="k-1",
        fingerprint="0" * 64,
        status=201,
        body={"national_id": ROW_ID, "date_of_birth": DATES[2].isoformat()},
    )
    return person, letter


def _needles() -> list[str]:
    texts = [PERSON_ID, ROW_ID, CONTACT_ID, *PHONES]
    for day in DATES:
        texts += [day.isoformat(), day.strftime("%d/%m/%Y")]
    return texts


def _columns():
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                yield table, column.name


def _binary_columns():
    """Binary columns: PostgreSQL casts bytea to its hex text, which LIKE never matches."""
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                if introspection.get_field_type(column.type_code, column) == "BinaryField":
                    yield table, column.name


def _found_in_binary_columns() -> list[tuple[str, str, str]]:
    """(table, column, needle) for each personal value found in the bytes of a binary column."""
    quote = connection.ops.quote_name
    needles = [needle.encode() for needle in _needles()]
    found = []
    with connection.cursor() as cursor:
        for table, column in _binary_columns():
            cursor.execute(
                f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"  # noqa: S608
            )
            for (value,) in cursor.fetchall():
                found += [(table, column, n.decode()) for n in needles if n in bytes(value)]
    return found


def _raw_file(table: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT content FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def test_no_personal_value_is_stored_in_clear_in_any_column(cast):
    person, letter = _seed(cast)
    quote = connection.ops.quote_name
    found = []
    scanned = 0
    with connection.cursor() as cursor:
        for table, column in _columns():
            scanned += 1
            text = f"CAST({quote(column)} AS TEXT)"
            cursor.execute(
                f"SELECT {text} FROM {quote(table)} WHERE "  # noqa: S608
                + " OR ".join(f"{text} LIKE %s" for _n in _needles()),
                [f"%{needle}%" for needle in _needles()],
            )
            found += [(table, column, row[0][:80]) for row in cursor.fetchall()]
    assert scanned > 300  # every column of every table, not a few
    assert found == []
    assert {"requests_app_letterdocument", "portal_importjob"} <= {
        table for table, _column in _binary_columns()
    }
    assert _found_in_binary_columns() == []
    # ... while the application reads them back.
    person.refresh_from_db()
    assert (person.national_id, person.mobile, person.date_of_birth) == (
        PERSON_ID,
        PHONES[0],
        DATES[0],
    )
    row = letter.rows.get()
    assert (row.national_id, row.mobile, row.date_of_birth) == (ROW_ID, PHONES[2], DATES[2])
    assert ImportJob.objects.get().result["rows"][0]["data"]["national_id"] == ROW_ID
    assert IdempotencyKey.objects.get().body["national_id"] == ROW_ID


def test_a_letters_pdf_and_an_uploaded_workbook_are_encrypted_in_their_rows(cast):
    _person, letter = _seed(cast)
    document, job = letter.documents.get(), ImportJob.objects.get()
    stored_pdf = _raw_file("requests_app_letterdocument", document.pk)
    stored_workbook = _raw_file("portal_importjob", job.pk)
    for raw, clear in ((stored_pdf, _letter_pdf()), (stored_workbook, _workbook())):
        assert raw[:1] == b"\x80"  # a Fernet token's bytes, not "%PDF" nor "PK"
        assert ROW_ID.encode() not in raw and PHONES[2].encode() not in raw
        # The token's frame: 57 bytes and the padding to a 16-byte block, whatever the size.
        assert len(clear) + 57 < len(raw) <= len(clear) + 57 + 16
    # The application reads them back; an emptied file stays empty (and comparable).
    assert LetterDocument.objects.get(pk=document.pk).content == _letter_pdf()
    assert bytes(ImportJob.objects.get(pk=job.pk).content) == _workbook()
    ImportJob.objects.filter(pk=job.pk).update(content=b"")
    assert _raw_file("portal_importjob", job.pk) == b""
    assert ImportJob.objects.filter(content=b"").count() == 1


def test_the_scan_would_find_a_file_written_in_clear(cast):
    """The binary scan can fail: a PDF written past its field is found."""
    _person, letter = _seed(cast)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE requests_app_letterdocument SET content = %s WHERE letter_id = %s",
            [_letter_pdf(), letter.pk],
        )
    assert ("requests_app_letterdocument", "content", ROW_ID) in _found_in_binary_columns()


def test_the_scan_would_find_a_value_written_in_clear(cast):
    """The scan above can fail: an ID written past the field is found."""
    person, _letter = _seed(cast)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agencies_person SET id_issue_place = %s WHERE id = %s", [PERSON_ID, person.pk]
        )
        cursor.execute(
            "SELECT COUNT(*) FROM agencies_person WHERE CAST(id_issue_place AS TEXT) LIKE %s",
            [f"%{PERSON_ID}%"],
        )
        assert cursor.fetchone()[0] == 1


def test_people_and_rows_are_found_by_their_blind_index(cast):
    person, letter = _seed(cast)
    assert list(Person.objects.with_national_id(f" {PERSON_ID} ")) == [person]
    assert RequestRow.objects.filter(national_id_index=blind_index(ROW_ID)).count() == 1
    assert Device.objects.filter(phone_index=blind_index(PHONES[3])).count() == 1
    assert letter.contact_national_id_index == blind_index(CONTACT_ID)


@pytest.mark.parametrize(
    "lookup", ["national_id", "national_id__in", "national_id__startswith", "mobile__contains"]
)
def test_an_encrypted_field_refuses_a_lookup_that_would_match_nothing(db, lookup):
    value = ["012190001234"] if lookup.endswith("__in") else "012190001234"
    with pytest.raises(FieldError, match="encrypted"):
        list(Person.objects.filter(**{lookup: value}))


def test_a_blank_value_can_still_be_compared(cast):
    f.DeviceFactory(agency=cast.agency_a)
    assert Device.objects.filter(phone="").exists()


def test_deploy_check_refuses_missing_or_development_field_keys(settings):
    settings.PORTAL_FIELD_KEYS = []
    settings.PORTAL_BLIND_INDEX_KEY = ""
    ids = {error.id for error in run_checks(include_deployment_checks=True)}
    assert {"portal.E020", "portal.E023"} <= ids
    settings.PORTAL_FIELD_KEYS = [DEV_FIELD_KEY]
    ids = {error.id for error in run_checks(include_deployment_checks=True)}
    assert "portal.E021" in ids


def test_deploy_check_accepts_keys_of_its_own(settings):
    ids = {error.id for error in run_checks(include_deployment_checks=True)}
    assert not ids & {"portal.E020", "portal.E021", "portal.E022", "portal.E023"}


def test_exact_searches_find_a_whole_number_through_the_blind_index(client, cast):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory
    from django.urls import reverse

    from devices.filters import DeviceFilterSet
    from requests_app.models import CertRequest
    from tests.helpers import HTMX, sign_in

    person, letter = _seed(cast)
    # The letters' search, by a row's ID number.
    assert list(CertRequest.objects.search(ROW_ID)) == [letter]
    # The person picker: a whole ID number, not a prefix (the number is encrypted).
    sign_in(client, cast.clerk_a)
    pick = reverse("requests_app:pick", args=[letter.pk, "person"])
    assert client.get(pick, {"q": PERSON_ID}, **HTMX).context["results"] == [person]
    assert client.get(pick, {"q": PERSON_ID[:6]}, **HTMX).context["results"] == []
    # The device list's search, by the SIM's whole phone number.
    found = DeviceFilterSet({"q": PHONES[3]}, queryset=Device.objects.all()).qs
    assert [device.phone for device in found] == [PHONES[3]]
    # The admin's search of people.
    admin = site._registry[Person]
    request = RequestFactory().get("/admin/agencies/person/", {"q": PERSON_ID})
    results, _duplicates = admin.get_search_results(request, Person.objects.all(), PERSON_ID)
    assert list(results) == [person]


def test_an_id_number_in_another_scripts_digits_is_refused():
    """Fullwidth digits would be the same number under another blind index (and pass the
    unique constraint): the validator takes ASCII digits only."""
    national_id_validator("038190001234")
    with pytest.raises(ValidationError):
        national_id_validator("０３８１９０００１２３４")


def test_a_bulk_update_of_an_id_number_moves_its_blind_index_too(cast):
    person = Person.objects.create(
        organization=cast.agency_a, full_name="Lò Văn Bảy", national_id="038190007777"
    )
    update_rows(Person, ["national_id"], [(person.pk, "038190008888")])
    assert Person.objects.with_national_id("038190008888").get() == person
    assert not Person.objects.with_national_id("038190007777").exists()
