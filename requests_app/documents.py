"""What the Mẫu 01–06 letter templates need (docs/domain.md §3.2, §9): one template per form
under templates/requests_app/pdf/, all extending `_letter.html`; this module builds their
context. The wording of each form lives in its template, the columns in
`requests_app/columns.py`: amend a reconstructed form (Mẫu 03, docs/domain.md §3.9) there."""

from agencies.documents import document_header, signatory_for
from agencies.models import Organization
from agencies.names import account_name
from certificates.choices import RevocationReason
from portal.lib.vnwords import quantity_text
from requests_app.cells import registry_text
from requests_app.choices import FormKind

TEMPLATES = {
    FormKind.ISSUE_PERSON: "requests_app/pdf/mau_01.html",
    FormKind.ISSUE_ORGANIZATION: "requests_app/pdf/mau_02.html",
    FormKind.ISSUE_DEVICE: "requests_app/pdf/mau_03.html",
    FormKind.RENEW_CHANGE: "requests_app/pdf/mau_04.html",
    FormKind.REVOKE: "requests_app/pdf/mau_05.html",
    FormKind.RECOVER_DEVICE: "requests_app/pdf/mau_06.html",
}
# The subject line when the clerk wrote none.
SUBJECTS = {
    FormKind.ISSUE_PERSON: "V/v đề nghị cấp chứng thư chữ ký số chuyên dùng công vụ cho cá nhân",
    FormKind.ISSUE_ORGANIZATION: (
        "V/v đề nghị cấp chứng thư chữ ký số chuyên dùng công vụ cho cơ quan, tổ chức"
    ),
    FormKind.ISSUE_DEVICE: (
        "V/v đề nghị cấp chứng thư chữ ký số chuyên dùng công vụ cho thiết bị, dịch vụ, phần mềm"
    ),
    FormKind.RENEW_CHANGE: (
        "V/v đề nghị gia hạn, thay đổi thông tin chứng thư chữ ký số chuyên dùng công vụ"
    ),
    FormKind.REVOKE: "V/v đề nghị thu hồi chứng thư chữ ký số chuyên dùng công vụ",
    FormKind.RECOVER_DEVICE: "V/v đề nghị khôi phục thiết bị lưu khóa bí mật",
}
# Mẫu 01's variant for remote signing (docs/remote-signing.md).
REMOTE_SUBJECT = (
    "V/v đề nghị cấp chứng thư chữ ký số chuyên dùng công vụ cho cá nhân sử dụng giải pháp ký "
    "số tập trung"
)


def subject_of(cert_request) -> str:
    """The letter's "V/v" line: the clerk's, else its form's (Mẫu 01's remote-signing variant
    has its own)."""
    if cert_request.subject:
        return cert_request.subject
    return REMOTE_SUBJECT if cert_request.remote_signing else SUBJECTS[cert_request.form]


# The id of the signature block's name line (templates/requests_app/pdf/_letter.html): the
# head's stamp goes in the gap above it (certificates.signing.anchor_position).
SIGNATURE_ANCHOR = "chu-ky-co-quan"
CA_NAME = "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ"
CA_SHORT = "Cục Chứng thực số và Bảo mật thông tin"
# Wide tables are printed on landscape pages: Mẫu 01 and 05 (docs/domain.md §9), and the
# reconstructed Mẫu 03 whose eleven columns do not fit a portrait page.
WIDE_FORMS = {FormKind.ISSUE_PERSON, FormKind.ISSUE_DEVICE, FormKind.REVOKE}
# Forms addressed to the province's Sở KH&CN, which processes them itself (docs/domain.md §4).
TO_PROVINCE = {FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE}


def provincial_office_name(agency) -> str:
    """The Sở KH&CN of the agency's province, from the organisation tree."""
    province = agency.province if agency.province_id else None
    if province is None:
        return "Sở Khoa học và Công nghệ"
    office = Organization.objects.provincial_office_of(province)
    if office is not None:
        return office.name
    # "Tỉnh Lai Châu" → "… tỉnh Lai Châu": only the administrative word drops its capital.
    return f"Sở Khoa học và Công nghệ {province.name[:1].lower()}{province.name[1:]}"


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _row(row) -> dict:
    """One row's cells as the documents write them (the letter's own columns plus what a
    Mẫu 04–06 row shows of its certificate or device)."""
    certificate = row.certificate
    device = row.device
    person = certificate.person if certificate is not None else None
    organisation = certificate.subject_organization if certificate is not None else None
    sim = ""
    if row.sim_carrier:
        sim = row.get_sim_carrier_display() + ("/cs" if row.sim_keep_number else "")
    reason = ""
    if row.revoke_reason:
        try:
            reason = str(RevocationReason(row.revoke_reason).label)
        except ValueError:
            reason = row.revoke_reason
    return {
        "position": row.position,
        "row": row,
        "date_of_birth": _date(row.date_of_birth),
        "id_issue_date": _date(row.id_issue_date),
        "sim": sim,
        "key_storage": row.get_key_storage_display() if row.key_storage else "",
        "change_field": row.get_change_field_display() if row.change_field else "",
        "revoke_reason": reason,
        "certificate_name": certificate.common_name if certificate is not None else "",
        "certificate_serial": certificate.serial if certificate is not None else "",
        "certificate_email": certificate.email if certificate is not None else "",
        "certificate_phone": (
            certificate.device.phone
            if certificate is not None and certificate.device_id and certificate.device.phone
            else ""
        ),
        "certificate_device": (
            certificate.device.serial if certificate is not None and certificate.device_id else ""
        ),
        "person_id": (
            f"{person.national_id}, ngày cấp {_date(person.id_issue_date)}, nơi cấp "
            f"{person.id_issue_place}"
            if person is not None and person.national_id
            else ""
        ),
        "org_tax_code": organisation.tax_code if organisation is not None else "",
        "org_budget_code": organisation.budget_code if organisation is not None else "",
        "device_serial": device.serial if device is not None else "",
        "holder_certificate": registry_text(device, "registry_holder_certificate"),
        "holder_agency": registry_text(device, "registry_holder_agency"),
        "holder_email": registry_text(device, "registry_holder_email"),
    }


def letter_rows(cert_request) -> list[dict]:
    rows = cert_request.rows.with_registry().order_by("position")
    return [_row(row) for row in rows]


def default_recipients(cert_request, *, office: str | None = None) -> list[str]:
    """The "Nơi nhận" of a letter whose clerk wrote none: the addressee ("Như trên"), the
    province's Sở KH&CN to follow a letter sent to the CA, and the agency's register."""
    lines = ["Như trên;"]
    if cert_request.form not in TO_PROVINCE:
        office = office or provincial_office_name(cert_request.agency)
        lines.append(f"{office} (để theo dõi);")
    lines.append("Lưu: VT.")
    return lines


def recipients_of(cert_request, *, office: str | None = None) -> list[str]:
    """The letter's "Nơi nhận", one recipient a line, without the leading dash the document
    prints (docs/domain.md §3.2)."""
    lines = [line.strip().lstrip("-–+•").strip() for line in cert_request.recipients.splitlines()]
    lines = [line for line in lines if line]
    return lines or default_recipients(cert_request, office=office)


def contact_id_line(cert_request) -> str:
    """ "012190004321; ngày cấp: 01/07/2021; nơi cấp: CCSQLHCVTTXH", each part only when
    known: a document never prints an empty labelled field (docs/domain.md §9)."""
    parts = [cert_request.contact_national_id]
    if cert_request.contact_id_issue_date:
        parts.append(f"ngày cấp: {_date(cert_request.contact_id_issue_date)}")
    if cert_request.contact_id_issue_place:
        parts.append(f"nơi cấp: {cert_request.contact_id_issue_place}")
    return "; ".join(part for part in parts if part) if cert_request.contact_national_id else ""


def signer_name(user) -> str:
    """The name in the signature block: the head's person record, else the account's name."""
    return account_name(user)


def letter_document(cert_request, *, number: str, issued_on, signer=None) -> dict:
    """The context of a letter's template, carrying the number and date it was issued with."""
    agency = cert_request.agency
    form = cert_request.form
    rows = letter_rows(cert_request)
    to_province = form in TO_PROVINCE
    office = provincial_office_name(agency)
    return {
        "document_title": f"{FormKind(form).label} {number}",
        "header": document_header(
            agency,
            number=number,
            subject=subject_of(cert_request),
            day=issued_on,
            wide=form in WIDE_FORMS,
        ),
        "letter": cert_request,
        "agency_name": agency.name,
        "addressee": office if to_province else CA_NAME,
        "addressee_short": office if to_province else CA_SHORT,
        "provincial_office": office,
        "to_province": to_province,
        "wide": form in WIDE_FORMS,
        "doc_rows": rows,
        "quantity": quantity_text(len(rows)),
        "contact_id_issue_date": _date(cert_request.contact_id_issue_date),
        "contact_id_line": contact_id_line(cert_request),
        # Mẫu 06's helper works for the letter's agency unless the clerk named another
        # (docs/domain.md §3.3).
        "contact_agency": cert_request.contact_agency or agency.name,
        "recipients": recipients_of(cert_request, office=office),
        "signatory": signatory_for(signer, agency),
    }
