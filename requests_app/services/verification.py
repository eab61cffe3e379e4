"""Verification on receipt (docs/documents.md §8): the signatures of a letter's signed
version are checked when it reaches the province and again when someone asks; the result is
stored (`LetterVerification`) so that the page shows it without verifying on every view, and
forwarding or processing a letter needs a signed version whose last check found every
signature valid (decided on the locked letter by `check_signed`)."""

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from certificates.choices import SignedDocumentKind, SigningEventKind
from certificates.exceptions import CertificateError
from certificates.services import signing_events_record_reports
from certificates.signing import (
    SignatureReport,
    validation_report,
    verification_summary,
    verify_pdf,
)
from certificates.signing.context import validation_material
from portal.audit import audit_record
from portal.errors import DomainError
from portal.texts import data_of, default_text
from requests_app.models import CertRequest, LetterDocument, LetterVerification


def _report_entry(report) -> dict:
    certificate = report.certificate
    return {
        "field": report.field_name,
        "signer": report.signer_name,
        "serial": report.signer_serial,
        "signed_at": report.signing_time.isoformat() if report.signing_time else "",
        "intact": report.intact and report.covers_document,
        "trusted": report.trusted,
        "not_revoked": not (report.revoked_before_signing or report.key_at_risk),
        "belongs": report.belongs_to_agency is not False,
        "certificate_id": certificate.pk if certificate is not None else None,
        "problems": [data_of(problem) or problem for problem in report.problems],
        "ok": report.ok,
    }


def letter_signed_verify(
    *,
    document: LetterDocument,
    by=None,
    reports: list[SignatureReport] | None = None,
    with_report: bool = True,
) -> LetterVerification:
    """Check every signature of `document` against the trust roots, the registry and the CRL,
    for the letter's agency, and make its ETSI EN 319 102-1 validation report at this moment
    (docs/ca.md, "Validation report"); store and audit the result (a file that cannot be read is a
    failed check, never a 500). `reports`: a check of the document's bytes just made by the
    caller (the upload's inspection), stored instead of checking twice. Without `with_report`
    (the receipt, in the head's request) the report is left to the worker
    (`letter_report_if_missing`)."""
    letter = document.letter
    # One read of the file and of the trust material for both checks (none when the caller's
    # reports stand and no report is asked for); the report validates at this moment.
    needed = with_report or reports is None
    content = document.content if needed else b""
    material = validation_material() if needed else None
    report = validation_report(content, material=material) if with_report else None
    try:
        if reports is None:
            reports = verify_pdf(content, agency=letter.agency, material=material)
    except CertificateError as exc:
        entries, ok, summary = [], False, exc.message
    else:
        signing_events_record_reports(
            kind=SigningEventKind.VERIFIED,
            reports=reports,
            agency=letter.agency,
            document_kind=SignedDocumentKind.LETTER,
            document_id=letter.pk,
            document_number=letter.number,
        )
        entries = [_report_entry(report) for report in reports]
        ok = bool(reports) and all(report.ok for report in reports)
        summary = verification_summary(reports)
    verification = LetterVerification.objects.create(
        document=document,
        checked_by=by,
        ok=ok,
        summary=default_text(summary)[:500],
        summary_data=data_of(summary),
        signatures=entries,
        **(
            {
                "indication": report.indication,
                "sub_indication": report.sub_indication,
                "validated_at": report.validated_at,
                # the bytes it judged: a later archive update changes the version's
                "report": {**report.as_json(), "sha256": hashlib.sha256(content).hexdigest()},
            }
            if report is not None
            else {}
        ),
    )
    audit_record(
        actor=by,
        action="letter_document.verify",
        obj=letter,
        after={
            "version": document.version,
            "ok": ok,
            "summary": verification.summary,
            "indication": verification.indication,
            "sub_indication": verification.sub_indication,
        },
    )
    return verification


def letter_report_if_missing(*, document_id: int) -> LetterVerification | None:
    """The worker's validation report of a stored signed version whose newest check has none
    of its present bytes (the receipt's check has none; an archive update changes the bytes),
    decided on the locked version so that two runs make one. None when it already has one."""
    with transaction.atomic():
        locked = (
            LetterDocument.objects.select_for_update()
            .defer("in_row")
            .filter(pk=document_id)
            .first()
        )
        if locked is None:
            return None
        newest = locked.verifications.order_by("-checked_at", "-pk").first()
        if (
            newest is not None
            and newest.indication
            and newest.report.get("sha256") == locked.sha256
        ):
            return None
        return letter_signed_verify(document=locked)


def letter_verification_current(cert_request: CertRequest) -> LetterVerification | None:
    """The newest check of the letter's current signed version, if any."""
    document = LetterDocument.objects.signed_for(cert_request).first()
    if document is None:
        return None
    return document.verifications.order_by("-checked_at", "-pk").first()


def check_signed(locked: CertRequest) -> None:
    """The gate of forwarding and of the province's own processing: a signed version of the
    letter as issued whose last check found every signature valid (checked now if never)."""
    document = LetterDocument.objects.signed_for(locked).first()
    verification = None
    if document is not None:
        verification = document.verifications.order_by("-checked_at", "-pk").first()
        if verification is None:
            verification = letter_signed_verify(document=document)
    if verification is None or not verification.ok:
        raise DomainError(
            _("Văn bản chưa có chữ ký số hợp lệ: không thể chuyển tiếp."), code="not_signed"
        )
