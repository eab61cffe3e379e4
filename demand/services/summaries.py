"""A province's summary of its agencies' registrations, signed by its Sở KH&CN officer at
their own desk (their personal signature, then the office's seal if it has one: the seal is
optional here; demand/services/desk.py) and sent upward (docs/domain.md §11): to the CA for
a nationwide campaign, to the People's Committee for the province's own. Sent once per
campaign and province (a database constraint); the totals and the registrations they counted
are kept as sent."""

import hashlib
import json
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.documents import place_name
from agencies.models import Organization
from agencies.services import document_number_next
from certificates.desk.models import DeskSigning
from certificates.desk.rounds import desk_round_complete, desk_round_prepare
from certificates.desk.services import DeskAnswer
from certificates.signing import SEAL_FIELD, SIGNATURE_FIELD, anchor_position
from certificates.signing.seal import personal_signing_certificate, seal_certificate
from demand import documents, figures, permissions
from demand.audience import table_url
from demand.models import Campaign, DemandDocument, ProvinceSummary, Registration
from demand.services.desk import DemandRound, audit_refusal, record_signed
from demand.targets import not_answered
from devices.notify import ca_operators
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text

# The register series of the summary: a report ("báo cáo", BC).
SUMMARY_SERIES = "BC"


@dataclass
class SummaryInputs:
    registrations: list[Registration]
    missing: list[str]
    table: figures.Table


def require_may_send(campaign: Campaign, province: Organization, by) -> None:
    permissions.require(permissions.may_send_summary(by, province))
    if campaign.province_id not in (None, province.pk):
        raise DomainError(_("Đợt đăng ký này không thuộc tỉnh của bạn."), code="not_province")


def summary_inputs(campaign: Campaign, province: Organization) -> SummaryInputs:
    registrations = list(
        Registration.objects.sent()
        .filter(campaign=campaign, agency__province=province)
        .select_related("agency")
        .prefetch_related("items")
        .order_by("agency__name", "pk")
    )
    missing = list(
        not_answered(campaign, [province.pk]).order_by("name").values_list("name", flat=True)
    )
    table = figures.totals([r.pk for r in registrations], campaign.years)
    return SummaryInputs(registrations=registrations, missing=missing, table=table)


def summary_pdf(campaign, province, *, by, number: str = "", day=None) -> bytes:
    """The draft of the province's summary as it would be sent now (nobody's signature)."""
    require_may_send(campaign, province, by)
    inputs = summary_inputs(campaign, province)
    return documents.summary_pdf(
        campaign,
        province,
        table=inputs.table,
        registrations=inputs.registrations,
        missing=inputs.missing,
        number=number,
        by=None,
        day=day,
    )


def _fingerprint(inputs: SummaryInputs) -> str:
    """Names the totals as drawn: the registrations counted and the agencies still missing.
    A summary whose inputs changed since it was drawn is signed afresh."""
    drawn = json.dumps([[r.pk for r in inputs.registrations], inputs.missing], ensure_ascii=False)
    return hashlib.sha256(drawn.encode()).hexdigest()[:16]


def _purpose(campaign_id: int, province_id: int, fingerprint: str, field_name: str) -> str:
    return f"demand:summary:{campaign_id}:{province_id}:{fingerprint}:{field_name}"


def _signable(campaign: Campaign, province: Organization, by) -> SummaryInputs:
    """The summary's inputs, decided on the campaign's locked row: `by` may send the
    province's summary, it is not sent yet and some agency has answered. Call inside a
    transaction."""
    require_may_send(campaign, province, by)
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if ProvinceSummary.objects.filter(campaign=campaign, province=province).exists():
        raise _already_sent()
    inputs = summary_inputs(campaign, province)
    if not inputs.registrations:
        raise DomainError(
            _("Chưa có cơ quan nào của tỉnh gửi đăng ký: chưa thể gửi báo cáo tổng hợp."),
            code="nothing_to_send",
        )
    return inputs


def _signing_office(province: Organization) -> Organization:
    """Whose register numbers the summary and whose seal closes it: the Sở KH&CN."""
    return Organization.objects.provincial_office_of(province) or province


def _number(campaign, province, office, *, purpose, by, day) -> str:
    """The summary's number in the office's register, in the form Nghị định 30/2020 gives a
    named document: "Số: 12/BC-SKHCN". Drawn once: the seal's round keeps the number the
    officer signed, and a summary drawn again (another click, the totals changed) keeps the
    number first drawn for it this year."""
    head_signed = DeskSigning.objects.done_for(purpose(SIGNATURE_FIELD)).first()
    if head_signed is not None:
        return head_signed.document_number
    earlier = (
        DeskSigning.objects.filter(
            purpose__startswith=f"demand:summary:{campaign.pk}:{province.pk}:",
            field_name=SIGNATURE_FIELD,
            created_at__year=day.year,
        )
        .exclude(document_number="")
        .order_by("-created_at")
        .values_list("document_number", flat=True)
        .first()
    )
    if earlier:
        return earlier
    if personal_signing_certificate(by) is None:
        raise _no_personal()  # told before a number is drawn for nothing
    return document_number_next(
        organization=office,
        series=SUMMARY_SERIES,
        year=day.year,
        pattern="{n}/{series}-{org}",
        blank_org="SKHCN",
    )


def _no_personal() -> DomainError:
    return DomainError(
        _("Bạn chưa có chứng thư số cá nhân còn hiệu lực: không thể ký báo cáo tổng hợp."),
        code="no_personal_certificate",
    )


def _refused(campaign, province, *, by, desk_signing_id, error: DomainError) -> None:
    # No summary row exists before the last round: the refusal is the campaign's.
    audit_refusal(
        campaign,
        action="demand_summary.desk_refused",
        by=by,
        desk_signing_id=desk_signing_id,
        error=error,
        province=province.pk,
    )


def summary_desk_prepare(*, campaign: Campaign, province: Organization, by) -> DeskSigning:
    """The next round of the officer's signing of the province's totals as they stand now:
    their personal signature, then the Sở KH&CN's seal when it has one (docs/domain.md §11;
    docs/ca.md, "Signing at the signer's desk"). A `DomainError` (audited) when refused."""
    try:
        with transaction.atomic():
            inputs = _signable(campaign, province, by)
        office = _signing_office(province)
        day = timezone.localdate()
        purpose = partial(_purpose, campaign.pk, province.pk, _fingerprint(inputs))
        number = _number(campaign, province, office, purpose=purpose, by=by, day=day)
        pdf = documents.summary_pdf(
            campaign,
            province,
            table=inputs.table,
            registrations=inputs.registrations,
            missing=inputs.missing,
            number=number,
            by=by,
            day=day,
        )
        return desk_round_prepare(
            pdf=pdf,
            agency=office,
            position=anchor_position(pdf, documents.SIGNATURE_ANCHOR),
            purpose=purpose,
            reason=f"Tổng hợp nhu cầu chứng thư số giai đoạn {campaign.period}",
            no_personal_message=str(_no_personal().message),
            by=by,
            document_number=number,
            title=_("Báo cáo tổng hợp nhu cầu chứng thư số giai đoạn %(period)s")
            % {"period": campaign.period},
            location=place_name(province),
            seal_optional=True,
        )
    except DomainError as exc:
        _refused(campaign, province, by=by, desk_signing_id=None, error=exc)
        raise


def summary_desk_complete(
    *,
    campaign: Campaign,
    province: Organization,
    answer: DeskAnswer,
    by,
) -> DemandRound:
    """Embed the signature returned (`answer`). The summary is stored and sent
    after the seal, or after the officer's signature alone when the Sở KH&CN has no seal
    certificate (the seal is optional here). A `DomainError` (audited, nothing sent) when
    refused."""
    try:
        with transaction.atomic():
            inputs = _signable(campaign, province, by)
        office = _signing_office(province)
        purpose = partial(_purpose, campaign.pk, province.pk, _fingerprint(inputs))
        completed = desk_round_complete(
            purpose=purpose,
            answer=answer,
            by=by,
        )
        if completed.field_name != SEAL_FIELD and seal_certificate(office) is not None:
            return DemandRound(field_name=completed.field_name, document=None)
        number = DeskSigning.objects.done_for(purpose(SIGNATURE_FIELD)).get().document_number
        document = _send(
            campaign,
            province,
            by=by,
            purpose=purpose,
            number=number,
            pdf=completed.pdf,
            office=office,
        )
    except DomainError as exc:
        _refused(campaign, province, by=by, desk_signing_id=answer.desk_signing_id, error=exc)
        raise
    return DemandRound(field_name=completed.field_name, document=document)


def _send(campaign, province, *, by, purpose, number: str, pdf: bytes, office) -> DemandDocument:
    """Store the signed `pdf` as the province's summary and send it, decided again on the
    locked campaign with the totals unchanged since they were drawn. Sent once per campaign
    and province (a database constraint)."""
    try:
        with transaction.atomic():
            inputs = _signable(campaign, province, by)
            if purpose("") != _purpose(campaign.pk, province.pk, _fingerprint(inputs), ""):
                raise DomainError(
                    _("Số liệu tổng hợp vừa thay đổi: hãy xem lại rồi ký."), code="changed"
                )
            summary = ProvinceSummary.objects.create(
                campaign=campaign,
                province=province,
                number=number,
                totals=figures.to_json(inputs.table),
                registration_ids=[r.pk for r in inputs.registrations],
                agencies_asked=len(inputs.registrations) + len(inputs.missing),
                sent_by=by,
            )
            document = DemandDocument(
                summary=summary,
                version=1,
                kind=DocumentKind.SIGNED,
                number=number,
                issued_on=timezone.localdate(),
                created_by=by,
            )
            document.set_content(pdf)
            document.save()
            audit_record(
                actor=by,
                action="demand_summary.sign",
                obj=summary,
                after={
                    "campaign": campaign.pk,
                    "province": province.pk,
                    "registrations": summary.registration_ids,
                    "sha256": document.sha256,
                    "source": "desk",
                },
            )
            record_signed(purpose=purpose, agency=office, document_id=None, document_number=number)
            _tell_upward(summary)
    except IntegrityError as exc:  # another officer sent it a moment earlier
        raise _already_sent() from exc
    return document


def _already_sent() -> DomainError:
    return DomainError(_("Tỉnh đã gửi báo cáo tổng hợp của đợt này."), code="already_sent")


def _tell_upward(summary: ProvinceSummary) -> None:
    if not summary.campaign.is_nationwide:
        return
    notify(
        users=ca_operators(),
        message=text(
            gettext_noop(
                "%(province)s đã gửi báo cáo tổng hợp nhu cầu chứng thư số giai đoạn %(period)s."
            ),
            province=summary.province.name,
            period=summary.campaign.period,
        ),
        url=table_url(summary.campaign_id),
        subject=f"demand_summary:{summary.pk}",
        kind="demand",
    )
