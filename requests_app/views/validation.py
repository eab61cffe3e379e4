"""The validation report of a letter's signed version (docs/ca.md, "Validation report"): the
newest check's ETSI EN 319 102-1 report, downloaded as JSON or as a small PDF by whoever may see
the letter (out of scope, or no report yet: 404)."""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from certificates.signing import localized
from portal.documents import pdf_response
from portal.lib.filenames import safe_file_name
from portal.lib.pdf import render_pdf
from portal.lib.safetext import SafeJSONEncoder
from requests_app import services
from requests_app.models import CertRequest, LetterVerification


def _reported(request, pk: int) -> tuple[CertRequest, LetterVerification]:
    letter = get_object_or_404(CertRequest.objects.visible_to(request.user), pk=pk)
    verification = services.letter_verification_current(letter)
    if verification is None or not verification.indication:
        raise Http404("no validation report")
    return letter, verification


def _file_stem(letter: CertRequest) -> str:
    return f"Bao_cao_tham_dinh_{letter.number or letter.pk}"


def _document(letter: CertRequest, verification: LetterVerification) -> dict:
    """The report as downloaded: the standard's outcome with today's texts, and which document
    and which check it is about."""
    document = verification.document
    return {
        **localized(verification.report),
        "document": {
            "letter_number": letter.number,
            "version": document.version,
            # the bytes the report judged (older checks: the version's present bytes)
            "sha256": verification.report.get("sha256") or document.sha256,
        },
        "checked_at": verification.checked_at.isoformat(),
    }


@login_required
@require_GET
def letter_validation_report_json(request, pk: int):
    letter, verification = _reported(request, pk)
    body = json.dumps(
        _document(letter, verification), cls=SafeJSONEncoder, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = safe_file_name(_file_stem(letter), extension=".json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _when(text: str | None):
    moment = parse_datetime(text) if text else None
    return timezone.localtime(moment) if moment else None


@login_required
@require_GET
def letter_validation_report_pdf(request, pk: int):
    letter, verification = _reported(request, pk)
    with translation.override("vi"):  # an official document: always Vietnamese
        report = _document(letter, verification)
    signatures = [
        {**signature, "signing_time": _when(signature.get("signing_time"))}
        for signature in report["signatures"]
    ]
    pdf = render_pdf(
        "requests_app/pdf/validation_report.html",
        {
            "document_title": "Báo cáo thẩm định chữ ký số",
            "letter": letter,
            "report": report,
            "signatures": signatures,
            "validated_at": timezone.localtime(verification.validated_at),
            "checked_at": timezone.localtime(verification.checked_at),
        },
    )
    return pdf_response(pdf, safe_file_name(_file_stem(letter)))
