"""A province's summary of its agencies' registrations, signed by its Sở KH&CN officer and
sent upward (docs/domain.md §11): to the CA for a nationwide campaign, to the People's
Committee for the province's own. Sent once per campaign and province (a database
constraint); the totals and the registrations they counted are kept as sent."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Organization
from agencies.services import document_number_next
from certificates.choices import SignedDocumentKind
from certificates.services import signing_events_record_pair
from certificates.signing import anchor_position, signing_pair
from certificates.signing.seal import sign_and_seal
from demand import documents, figures, permissions
from demand.audience import table_url
from demand.models import Campaign, DemandDocument, ProvinceSummary, Registration
from demand.targets import not_answered
from devices.notify import ca_operators
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.notifications import notify

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


def summary_send(*, campaign: Campaign, province: Organization, by) -> ProvinceSummary:
    """Sign and send the province's totals as they stand now."""
    require_may_send(campaign, province, by)
    if ProvinceSummary.objects.filter(campaign=campaign, province=province).exists():
        raise _already_sent()
    inputs = summary_inputs(campaign, province)
    if not inputs.registrations:
        raise DomainError(
            _("Chưa có cơ quan nào của tỉnh gửi đăng ký: chưa thể gửi báo cáo tổng hợp."),
            code="nothing_to_send",
        )
    office = Organization.objects.provincial_office_of(province)
    pair = signing_pair(user=by, agency=office or province, seal_required=False)
    day = timezone.localdate()
    # The office's register, in the form Nghị định 30/2020 gives a named document: "Số:
    # 12/BC-SKHCN" (the number of the year, the kind "báo cáo", the office's abbreviation).
    number = document_number_next(
        organization=office or province,
        series=SUMMARY_SERIES,
        year=day.year,
        pattern="{n}/{series}-{org}",
        blank_org="SKHCN",
    )
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
    signed = sign_and_seal(
        pdf,
        pair=pair,
        agency_name=(office or province).name,
        by=by,
        position=anchor_position(pdf, documents.SIGNATURE_ANCHOR),
        reason=f"Tổng hợp nhu cầu chứng thư số giai đoạn {campaign.period}",
    )
    signing_events_record_pair(
        pair=pair,
        agency=office or province,
        document_kind=SignedDocumentKind.DEMAND,
        document_id=None,
        document_number=number,
    )
    try:
        with transaction.atomic():
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
                issued_on=day,
                created_by=by,
            )
            document.set_content(signed)
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
                },
            )
            _tell_upward(summary)
    except IntegrityError as exc:  # another officer sent it a moment earlier
        raise _already_sent() from exc
    return summary


def _already_sent() -> DomainError:
    return DomainError(_("Tỉnh đã gửi báo cáo tổng hợp của đợt này."), code="already_sent")


def _tell_upward(summary: ProvinceSummary) -> None:
    if not summary.campaign.is_nationwide:
        return
    notify(
        users=ca_operators(),
        message=_("%(province)s đã gửi báo cáo tổng hợp nhu cầu chứng thư số giai đoạn %(period)s.")
        % {"province": summary.province.name, "period": summary.campaign.period},
        url=table_url(summary.campaign_id),
        subject=f"demand_summary:{summary.pk}",
        kind="demand",
    )
