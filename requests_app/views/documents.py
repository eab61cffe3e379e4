"""A letter's PDF versions, downloaded by whoever may see the letter (docs/documents.md §8):
out of scope is 404, like the letter's page (`visible_to`); each download records one access
to the personal data it prints (docs/privacy.md, "Exports, API and documents"); and the
signatures of its signed version, as last verified, with a re-check on request."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.names import display_name
from certificates.signing import indication_text, localized, sub_indication_text
from certificates.signing.indications import TOTAL_FAILED, TOTAL_PASSED
from portal.documents import DocumentKind, pdf_download
from portal.texts import shown, shown_all
from requests_app import services
from requests_app.disclosure import letter_document_access_record
from requests_app.models import CertRequest, LetterDocument


@login_required
@require_GET
def letter_document_download(request, pk: int, version: int):
    letter = get_object_or_404(CertRequest.objects.visible_to(request.user), pk=pk)
    document = get_object_or_404(
        LetterDocument.objects.select_related("letter"), letter=letter, version=version
    )
    response = pdf_download(document, document.download_name)
    letter_document_access_record(cert_request=letter, by=request.user)
    return response


@dataclass(frozen=True)
class SignatureCheck:
    """The newest check of a signed version as the letter page shows it."""

    ok: bool
    summary: str
    signatures: list
    checked_at: datetime
    checked_by_name: str
    # The ETSI EN 319 102-1 report of the same check (docs/ca.md, "Validation report"); empty
    # indication on checks made before it existed.
    indication: str = ""
    sub_indication: str = ""
    validated_at: datetime | None = None
    report_signatures: list = field(default_factory=list)

    @classmethod
    def of(cls, check: dict) -> "SignatureCheck":
        """From `LetterDocumentQuerySet.with_newest_check`'s JSON (on SQLite, the JSON column
        comes as text and the time without its zone, in UTC)."""
        signatures = check["signatures"]
        report_signatures = check.get("report_signatures") or []
        if isinstance(report_signatures, str):
            report_signatures = json.loads(report_signatures)
        return cls(
            ok=bool(check["ok"]),
            summary=shown(_json(check.get("summary_data")), check["summary"]),
            signatures=[_shown_problems(signature) for signature in _json(signatures) or []],
            checked_at=_aware(check["checked_at"]),
            checked_by_name=display_name(
                check["person_name"], check["first_name"], check["last_name"], check["username"]
            ),
            indication=check.get("indication") or "",
            sub_indication=check.get("sub_indication") or "",
            validated_at=_aware(check["validated_at"]) if check.get("validated_at") else None,
            report_signatures=localized({"signatures": report_signatures})["signatures"],
        )

    @property
    def indication_text(self) -> str:
        return indication_text(self.indication)

    @property
    def sub_indication_text(self) -> str:
        return sub_indication_text(self.sub_indication)

    @property
    def outcome(self) -> str:
        """The panel's colour: passed, indeterminate (a public CA's or unknown chain, no proof
        yet) or failed."""
        return {TOTAL_PASSED: "passed", TOTAL_FAILED: "failed"}.get(
            self.indication, "indeterminate"
        )


def _shown_problems(signature: dict) -> dict:
    """A signature's problems in the reader's language (stored as data, or text before)."""
    if not signature.get("problems"):
        return signature
    return {**signature, "problems": shown_all(signature["problems"])}


def _json(value):
    """A JSON value of `with_newest_check` (text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def _aware(text: str) -> datetime:
    moment = parse_datetime(text)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def signatures_context(cert_request: CertRequest, documents: list[LetterDocument]) -> dict:
    """The letter page's signature panel: the signed version of the letter as issued now and
    its newest verification (stored on receipt: the page does not verify). `documents`: the
    letter's versions read `with_newest_check()` and without their content, among which the
    signed one is found as `LetterDocumentQuerySet.signed_for` finds it, without a query."""
    signed = next(
        (
            document
            for document in documents
            if cert_request.number
            and document.kind == DocumentKind.SIGNED
            and document.number == cert_request.number
        ),
        None,
    )
    check = signed.newest_check if signed is not None else None
    return {
        "signed_document": signed,
        "verification": SignatureCheck.of(check) if check else None,
    }


@login_required
@require_POST
def letter_signatures_verify(request, pk: int):
    """Check the signatures again now (revocations since receipt count): anyone who sees the
    letter may ask; each check is stored and audited."""
    letter = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency"), pk=pk
    )
    signed = services.letter_signed_current(letter)
    if signed is None:
        messages.error(request, _("Văn bản chưa có bản đã ký số."))
    else:
        verification = services.letter_signed_verify(document=signed, by=request.user)
        level = messages.success if verification.ok else messages.error
        level(
            request,
            _("Đã kiểm tra lại chữ ký số: %(summary)s. Báo cáo thẩm định: %(outcome)s.")
            % {
                "summary": verification.summary_text,
                "outcome": indication_text(verification.indication),
            },
        )
    return redirect("requests_app:detail", pk=letter.pk)
