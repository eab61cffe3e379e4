"""The PDF of a Mẫu 07, 08 or 09 document, stored and versioned (docs/documents.md §8).

Rendered when asked for, in the request: these documents are one page, about 0.17 s on a warm
process (docs/devices.md, "Who signs what, and when", gives the measured figures). A download
draws the document and stores nothing; signing stores the version signed. Stored once
per content: the same document rendered again gives the same bytes and finds its stored
version; a document whose content changed (a Mẫu 08 confirmed by the receiving side) gets a
new version, and earlier versions stay. The unique (document, kind, sha256) and (document,
version) constraints make a double click or two requests at once store one version."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.documents import signatory_for
from devices import documents
from devices.models import (
    DeviceDocument,
    DeviceDocumentForm,
    HandoverNotice,
    LossReport,
    ReturnMinutes,
)
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.lib.pdf import render_pdf

PDF_TEMPLATE = "devices/pdf/document.html"
OWNER_FIELDS = {HandoverNotice: "notice", ReturnMinutes: "minutes", LossReport: "loss_report"}


def spec(obj, signatory=None) -> tuple[str, str, str, dict, object]:
    """(form, owner field, template, context, date) of a device document."""
    if isinstance(obj, HandoverNotice):
        items = list(obj.items.select_related("device").order_by("position"))
        context = documents.notice_document(obj, items, signatory=signatory)
        return DeviceDocumentForm.MAU_07, "notice", documents.MAU_07, context, obj.issued_on
    if isinstance(obj, ReturnMinutes):
        items = list(obj.items.select_related("device").order_by("position"))
        context = documents.minutes_document(obj, items, signatory=signatory)
        return DeviceDocumentForm.MAU_08, "minutes", documents.MAU_08, context, obj.held_at
    if isinstance(obj, LossReport):
        context = documents.loss_document(obj, signatory=signatory)
        return DeviceDocumentForm.MAU_09, "loss_report", documents.MAU_09, context, obj.held_at
    raise TypeError(f"not a device document: {obj!r}")


def device_document_render(*, document, signer=None) -> DeviceDocument:
    """The PDF of the document as it reads now, drawn and not stored: its stored version when
    this content is stored already, else an unsaved one numbered as the next version. A
    download (a GET) serves this, so reading a document never writes (docs/architecture.md
    §8). With `signer`, the agency's signature block names them, as their signature will;
    without, it stays the form's unsigned block (docs/domain.md §10.1)."""
    signatory = signatory_for(signer, document.agency) if signer is not None else None
    form, field, template, context, day = spec(document, signatory)
    pdf = render_pdf(
        PDF_TEMPLATE,
        {**context, "document_template": template, "document_title": str(document)},
    )
    candidate = DeviceDocument(
        form=form,
        kind=DocumentKind.RENDERED,
        number=document.number,
        issued_on=timezone.localtime(day).date() if isinstance(day, datetime) else day,
        **{field: document},
    )
    candidate.set_content(pdf)
    owned = DeviceDocument.objects.filter(**{field: document})
    existing = owned.filter(kind=DocumentKind.RENDERED, sha256=candidate.sha256).first()
    if existing is not None:
        return existing
    candidate.version = (owned.aggregate(last=Max("version"))["last"] or 0) + 1
    return candidate


def device_document_pdf(*, document, by, signer=None) -> DeviceDocument:
    """The stored PDF of the document as it reads now: found if this content is stored,
    else stored as the next version (with an audit event). Called where the document is
    signed, so the version signed is kept (`device_document_render` for `signer`)."""
    candidate = device_document_render(document=document, signer=signer)
    if candidate.pk is not None:
        return candidate
    field = OWNER_FIELDS[type(document)]
    owned = DeviceDocument.objects.filter(**{field: document}, kind=DocumentKind.RENDERED)
    candidate.created_by = by
    with transaction.atomic():
        type(document).objects.select_for_update().filter(pk=document.pk).first()
        existing = owned.filter(sha256=candidate.sha256).first()
        if existing is not None:
            return existing
        last = DeviceDocument.objects.filter(**{field: document}).aggregate(last=Max("version"))
        candidate.version = (last["last"] or 0) + 1
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:
            return owned.get(sha256=candidate.sha256)
        audit_record(
            actor=by,
            action="device_document.render",
            obj=document,
            after={
                "form": candidate.form,
                "version": candidate.version,
                "sha256": candidate.sha256,
            },
        )
    return candidate
