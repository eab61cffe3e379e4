"""Which RequestRow fields each form's table has, in the form's column order (docs/domain.md §3).

Drafting pages, the Excel import and the documents all read this, so a column is added once.
"""

from django.utils.translation import gettext_lazy as _

from requests_app.choices import FormKind

FORM_COLUMNS: dict[str, list[str]] = {
    FormKind.ISSUE_PERSON: [
        "full_name",
        "date_of_birth",
        "national_id",
        "id_issue_date",
        "id_issue_place",
        "email",
        "work_agency",
        "province_name",
        "position_title",
        "mobile",
        "old_serial",
        "sim_carrier",
        "sim_keep_number",
    ],
    FormKind.ISSUE_ORGANIZATION: [
        "organization_name",
        "address",
        "tax_code",
        "budget_code",
        "province_name",
        "email",
    ],
    FormKind.ISSUE_DEVICE: [
        "service_name",
        "service_version",
        "domain_or_ip",
        "organization_name",
        "tax_code",
        "budget_code",
        "province_name",
        "email",
        "purpose",
        "key_storage",
    ],
    # national_id and position_title serve a move between agencies only (docs/domain.md
    # §5.3.1): the receiving agency names the certificate by serial AND its holder's ID.
    FormKind.RENEW_CHANGE: [
        "certificate",
        "renew",
        "change_info",
        "change_field",
        "new_value",
        "national_id",
        "position_title",
    ],
    FormKind.REVOKE: ["certificate", "revoke_reason"],
    FormKind.RECOVER_DEVICE: ["device"],
}

# Columns a row cannot be saved without.
REQUIRED_COLUMNS: dict[str, set[str]] = {
    FormKind.ISSUE_PERSON: {
        "full_name",
        "date_of_birth",
        "national_id",
        "id_issue_date",
        "id_issue_place",
        "email",
        "work_agency",
        "province_name",
        "position_title",
        "mobile",
    },
    FormKind.ISSUE_ORGANIZATION: {
        "organization_name",
        "address",
        "tax_code",
        "budget_code",
        "province_name",
        "email",
    },
    FormKind.ISSUE_DEVICE: {
        "service_name",
        "organization_name",
        "province_name",
        "email",
        "purpose",
        "key_storage",
    },
    FormKind.RENEW_CHANGE: {"certificate"},
    FormKind.REVOKE: {"certificate", "revoke_reason"},
    FormKind.RECOVER_DEVICE: {"device"},
}


# What a Mẫu 05 or 06 row shows of its certificate or device (docs/domain.md §3.6, §3.7): read
# from the registry once the certificate or device is picked, never typed nor stored on the row,
# so always read-only. Values: `requests_app.cells.registry_text`.
REGISTRY_COLUMNS: dict[str, list[tuple[str, str]]] = {
    FormKind.REVOKE: [
        ("registry_national_id", _("số định danh cá nhân")),
        ("registry_id_issue_date", _("ngày cấp")),
        ("registry_id_issue_place", _("nơi cấp")),
        ("registry_tax_code", _("mã số thuế")),
        ("registry_budget_code", _("mã quan hệ ngân sách")),
        ("registry_email", _("thư điện tử công vụ")),
        ("registry_device_serial", _("số hiệu thiết bị lưu khóa bí mật")),
    ],
    FormKind.RECOVER_DEVICE: [
        ("registry_holder_certificate", _("tên chứng thư")),
        ("registry_holder_agency", _("cơ quan, tổ chức công tác")),
        ("registry_holder_email", _("thư điện tử công vụ")),
    ],
}
REGISTRY_NAMES = {name for pairs in REGISTRY_COLUMNS.values() for name, _label in pairs}


# Mẫu 01's remote-signing variant asks for no SIM PKI (docs/remote-signing.md).
NOT_IN_REMOTE_SIGNING = frozenset({"sim_carrier", "sim_keep_number"})


def letter_columns(cert_request) -> list[str]:
    """The letter's own columns: its form's, less the SIM PKI's in Mẫu 01's remote-signing
    variant."""
    own = FORM_COLUMNS[cert_request.form]
    if cert_request.remote_signing:
        return [name for name in own if name not in NOT_IN_REMOTE_SIGNING]
    return list(own)


def table_columns(form: str) -> list[str]:
    """The columns a letter's table shows, in the form's order: its own (`FORM_COLUMNS`) with
    the registry's read-only ones right after the certificate or device."""
    own = FORM_COLUMNS[form]
    registry = [name for name, _label in REGISTRY_COLUMNS.get(form, [])]
    if not registry:
        return list(own)
    at = own.index("certificate" if "certificate" in own else "device") + 1
    return own[:at] + registry + own[at:]
