"""Signed letters kept as long-term signatures (docs/ca.md, "Long-term signatures"): B-LT (the
chains and CRLs in a DSS) and B-LTA (a document time-stamp) added as the signed version is
stored, and a fresh document time-stamp before the newest one's certificate ends."""

import time
from datetime import timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.checks import run_checks
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESPassed

from certificates.models import TimestampUnit
from certificates.services import ca_initialize, crl_refresh_due, timestamp_unit_ensure
from certificates.signing.ades import validation_report
from certificates.signing.context import validation_material
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import Status
from requests_app.models import LetterDocument, LetterVerification
from requests_app.services.archive import enqueue_archive_extend
from requests_app.tasks import letter_archive_extend_task, letters_archive_due_task
from tests.certificates.long_term import lta_results
from tests.certificates.pdf_tools import pdfsig_sections
from tests.document_checks import (
    annotations,
    info_xmp_disagreements,
    pdfa_identification,
    unprintable_annotations,
)
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(cast, ca):
    """A letter signed at the desk and stored, then its archive task run as the worker does."""
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()
    assert stored.archive_until is None  # the worker's, after the commit
    assert letter_archive_extend_task(stored.pk) == stored.pk
    return LetterDocument.objects.get(pk=stored.pk)


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf))


def _stamp_fields(pdf: bytes) -> list[str]:
    return [str(s.field_name) for s in _reader(pdf).embedded_timestamp_signatures]


def test_a_stored_signed_letter_carries_its_proofs_and_a_document_timestamp(signed):
    reader = _reader(bytes(signed.content))
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 4  # signer, seal, TSA, issuing CA (and the root)
    assert len(dss["/CRLs"]) >= 2  # the issuing CA's and the root's
    assert _stamp_fields(bytes(signed.content)) == ["LuuTru1"]
    unit = TimestampUnit.objects.get(is_active=True)
    assert signed.archive_until == unit.not_after
    event = AuditEvent.objects.filter(action="letter_document.archive").get()
    assert event.after["sha256"] == signed.sha256 != event.before["sha256"]


def test_the_archived_letter_is_still_pdfa_3b(signed):
    pdf = bytes(signed.content)
    assert pdfa_identification(pdf) == {"part": "3", "conformance": "B"}
    assert info_xmp_disagreements(pdf) == []
    # the stamps, and the document time-stamp's field: invisible, zero-area, printable
    assert sorted((subtype, ap, zero) for _page, subtype, _f, ap, zero in annotations(pdf)) == [
        ("/Widget", False, True),
        ("/Widget", True, False),
        ("/Widget", True, False),
    ]
    assert unprintable_annotations(pdf) == []


def test_storing_the_signed_version_queues_its_archive_after_the_commit(
    cast, ca, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()
    queued = [c for c in callbacks if getattr(c, "func", None) is enqueue_archive_extend]
    assert [c.args for c in queued] == [(stored.pk,)]


def test_pyhankos_validator_passes_the_issued_letter_as_b_lta_with_the_portals_chain_only(
    signed,
):
    results = lta_results(bytes(signed.content), validation_material(), at=timezone.now())

    assert set(results) == {"ChuKyLanhDao", "DauCoQuan"}
    for result in results.values():
        assert result.ades_subindic == AdESPassed.OK
        # validated through the document time-stamp chain: the evidence record of B-LTA
        assert result.oldest_evidence_record_timestamp is not None


def test_pdfsig_still_reports_every_signature_valid(signed, ca, tmp_path):
    sections = pdfsig_sections(bytes(signed.content), ca, tmp_path)

    signatures = [s for s in sections if "ETSI.CAdES.detached" in s]
    assert len(signatures) == 2
    for section in signatures:
        assert "Signature Validation: Signature is Valid." in section
    # poppler 22.12 reports only the first chain (tests/certificates/test_signing.py)
    assert "Certificate Validation: Certificate is Trusted." in signatures[0]
    # poppler lists the document time-stamp but does not validate that kind (pyHanko does)
    (stamp,) = [s for s in sections if "LuuTru1" in s]
    assert "Total document signed" in stamp


def test_extending_again_before_it_is_due_changes_nothing(signed):
    assert services.letter_archive_extend(document_id=signed.pk) is None
    assert letters_archive_due_task() == 0

    signed.refresh_from_db()
    assert _stamp_fields(bytes(signed.content)) == ["LuuTru1"]


def test_a_letter_the_tsa_cannot_stamp_stays_due_and_the_beat_extends_it_later(signed):
    LetterDocument.objects.filter(pk=signed.pk).update(archive_until=None)
    TimestampUnit.objects.update(is_active=False)  # the authority grants nothing

    assert services.letter_archive_extend(document_id=signed.pk) is None
    unchanged = LetterDocument.objects.get(pk=signed.pk)
    assert unchanged.sha256 == signed.sha256 and unchanged.archive_until is None

    TimestampUnit.objects.update(is_active=True)
    assert letters_archive_due_task() == 1
    extended = LetterDocument.objects.get(pk=signed.pk)
    assert _stamp_fields(bytes(extended.content)) == ["LuuTru1", "LuuTru2"]
    assert bytes(extended.content).startswith(bytes(signed.content))


def test_past_the_signers_and_the_tsas_expiry_an_archive_validates_only_if_the_beat_renewed_it(
    signed,
):
    before_renewal = bytes(signed.content)
    first_unit = TimestampUnit.objects.get(is_active=True)
    signer_end = max(c.not_after for c in signed.letter.agency.certificates.all())

    # Ten days before the first unit's certificate ends: the TSA's daily check has made a new
    # unit (CA_TSA_RENEW_DAYS), and the archive beat stamps with it (CA_ARCHIVE_RENEW_DAYS).
    with time_machine.travel(first_unit.not_after - timedelta(days=10), tick=True):
        assert timestamp_unit_ensure() is not None
        assert letters_archive_due_task() == 1
    renewed = LetterDocument.objects.get(pk=signed.pk)
    assert _stamp_fields(bytes(renewed.content)) == ["LuuTru1", "LuuTru2"]
    assert renewed.archive_until > first_unit.not_after

    later = max(first_unit.not_after, signer_end) + timedelta(days=30)
    with time_machine.travel(later, tick=True):
        crl_refresh_due()  # the CRLs a validator would fetch that day
        material = validation_material()
        now = timezone.now()  # after the CRLs' issue
        kept = lta_results(bytes(renewed.content), material, at=now)
        stale = lta_results(before_renewal, material, at=now)
        report_kept = validation_report(bytes(renewed.content), material=material)
        report_stale = validation_report(before_renewal, material=material)

    assert {name: r.ades_subindic for name, r in kept.items()} == {
        "ChuKyLanhDao": AdESPassed.OK,
        "DauCoQuan": AdESPassed.OK,
    }
    # the copy from before: its only time-stamp's certificate has ended, nothing proves it
    # was made while that certificate was valid
    assert {r.ades_subindic for r in stale.values()} == {AdESIndeterminate.NO_POE}
    # The portal's own report, shown beside the letter, says the same of both copies: the
    # renewed one passes, the one from before lacks a proof that it existed while its
    # certificates were valid.
    assert [(s.indication, s.sub_indication) for s in report_kept.signatures] == [
        ("TOTAL-PASSED", ""),
        ("TOTAL-PASSED", ""),
    ]
    assert {(s.indication, s.sub_indication) for s in report_stale.signatures} == {
        ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")
    }


def test_the_check_refuses_an_archive_renewal_not_below_the_tsas(settings):
    settings.CA_ARCHIVE_RENEW_DAYS = settings.CA_TSA_RENEW_DAYS
    assert "certificates.E020" in {e.id for e in run_checks()}
    settings.CA_ARCHIVE_RENEW_DAYS = settings.CA_TSA_RENEW_DAYS - 1
    assert "certificates.E020" not in {e.id for e in run_checks()}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_archives_the_letter_once_it_is_stored(redis_worker, cast):
    ca_initialize()
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored.refresh_from_db()
        if stored.archive_until is not None:
            break
        time.sleep(0.2)
    assert stored.archive_until is not None, "the worker did not archive the letter in time"
    assert _stamp_fields(bytes(stored.content)) == ["LuuTru1"]


def test_a_stamp_by_a_unit_ending_within_the_renewal_window_is_not_stored(cast, ca, settings):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()
    # The active unit (5 years) ends inside a window longer than that: the update would be
    # due again at once, so it is not stored (nor would a second run grow the file).
    settings.CA_ARCHIVE_RENEW_DAYS = 6 * 366

    assert services.letter_archive_extend(document_id=stored.pk) is None
    unchanged = LetterDocument.objects.get(pk=stored.pk)
    assert unchanged.sha256 == stored.sha256 and unchanged.archive_until is None


def test_a_version_whose_signatures_were_found_invalid_is_not_archived(cast, ca):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()
    LetterVerification.objects.filter(document=stored).update(ok=False)

    assert services.letter_archive_extend(document_id=stored.pk) is None
    assert LetterDocument.objects.get(pk=stored.pk).archive_until is None


def test_the_beat_makes_the_report_the_lost_task_would_have_made(cast, ca):
    letter = letter_at(cast, Status.PROVINCE_REVIEW)
    stored = LetterDocument.objects.signed_for(letter).get()
    assert services.letter_verification_current(letter).indication == ""  # the receipt's

    assert letters_archive_due_task() == 1

    archived = LetterDocument.objects.get(pk=stored.pk)
    check = services.letter_verification_current(letter)
    assert check.indication == "TOTAL-PASSED"
    assert check.report["sha256"] == archived.sha256 != stored.sha256  # the archived bytes
    # a second run makes no second report
    assert letters_archive_due_task() == 0
    assert services.letter_verification_current(letter).pk == check.pk
