"""The two documents of a campaign, rendered by the one PDF helper (docs/documents.md §8):
an agency's registration (the seed 003 form) and a province's summary. Rendering is
deterministic: the same content gives the same bytes, so what the signer was shown is what
is signed."""

from django.utils import timezone

from agencies.documents import document_header
from agencies.models import Organization
from demand import figures
from portal.lib.pdf import render_pdf
from requests_app.documents import signer_name

CA_BODY = "Ban Cơ yếu Chính phủ"
# The signature block's name line (certificates.signing.anchor_position puts the stamp above it).
SIGNATURE_ANCHOR = "chu-ky-co-quan"


def _office_of(province) -> Organization | None:
    return Organization.objects.provincial_office_of(province)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _signer(user) -> tuple[str, str]:
    """The signature block's name and title; both empty for a draft nobody signs yet."""
    if user is None:
        return "", ""
    person = getattr(user, "person", None)
    return signer_name(user), (person.position if person is not None else "")


def registration_recipient(agency) -> str:
    """An agency of a province answers to its Sở KH&CN, which totals the province; a
    ministry answers to the CA's body directly (seed 003)."""
    office = _office_of(agency.province if agency.province_id else None)
    return office.name if office is not None else CA_BODY


def summary_recipient(campaign, province) -> str:
    if campaign.is_nationwide:
        return CA_BODY
    return f"Ủy ban nhân dân {_lower_first(province.name)}"


def registration_context(registration, *, by, day=None) -> dict:
    campaign = registration.campaign
    agency = registration.agency
    years = campaign.years
    table = figures.totals([registration.pk], years)
    name, position = _signer(by)
    return {
        "document_title": f"Đăng ký nhu cầu chứng thư số {campaign.period} – {agency.name}",
        "header": document_header(
            agency,
            number=registration.number,
            subject=f"V/v đề xuất nhu cầu cấp mới chứng thư số giai đoạn {campaign.period}",
            day=day or timezone.localdate(),
        ),
        "campaign": campaign,
        "agency": agency,
        "owner_name": campaign.owner.name,
        "recipient": registration_recipient(agency),
        "years": years,
        "rows": figures.table_rows(table, years, registration.notes),
        "signer_name": name,
        "signer_title": position or "Thủ trưởng cơ quan",
    }


def registration_pdf(registration, *, by, day=None) -> bytes:
    return render_pdf(
        "demand/pdf/registration.html", registration_context(registration, by=by, day=day)
    )


def summary_context(
    campaign, province, *, table, registrations, missing, number, by, day=None
) -> dict:
    office = _office_of(province)
    header_org = office or province
    name, position = _signer(by)
    years = campaign.years
    agencies = [
        {
            "name": r.agency.name,
            "number": r.number,
            "sent_on": timezone.localtime(r.sent_at).date() if r.sent_at else None,
            "total": sum(i.quantity for i in r.items.all()),
        }
        for r in registrations
    ]
    return {
        "document_title": f"Tổng hợp nhu cầu chứng thư số {campaign.period} – {province.name}",
        "header": document_header(
            header_org,
            number=number,
            subject=f"V/v tổng hợp nhu cầu cấp mới chứng thư số giai đoạn {campaign.period}",
            day=day or timezone.localdate(),
        ),
        "campaign": campaign,
        "province": province,
        "province_label": _lower_first(province.name),
        "office_name": header_org.name,
        "owner_name": campaign.owner.name,
        "recipient": summary_recipient(campaign, province),
        "years": years,
        "rows": figures.table_rows(table, years),
        "agencies": agencies,
        "answered_count": len(agencies),
        "asked_count": len(agencies) + len(missing),
        "missing": missing,
        "signer_name": name,
        "signer_title": position or "Sở Khoa học và Công nghệ",
    }


def summary_pdf(campaign, province, **context) -> bytes:
    return render_pdf("demand/pdf/summary.html", summary_context(campaign, province, **context))
