"""Which RequestRow fields each form's table has, in the form's column order (docs/domain.md §3).

Drafting pages, the Excel import and the documents all read this, so a column is added once.
"""

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
