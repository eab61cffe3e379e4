"""A letter's row as cells: the one place that says how a row value is written.

Dates dd/mm/yyyy, choices by their label (the revocation reason too, though its field has no
choices), booleans as a mark, the certificate or device by its serial. The review page, the
draft editor and the Excel export each take the shape they need from here, so a column reads
the same everywhere. A page's cells show ID numbers, dates of birth and of issue and mobile
numbers masked (`MASKED_COLUMNS`), with the control that reveals one when the user may
(`privacy.reveal.Revealer`); `value_text` itself stays whole, for the documents.
"""

from django.urls import reverse

from certificates.choices import RevocationReason
from privacy.masking import is_masked, masked
from privacy.reveal import Revealer
from requests_app.columns import (
    FORM_COLUMNS,
    REGISTRY_COLUMNS,
    REGISTRY_NAMES,
    letter_columns,
    table_columns,
)
from requests_app.models import RequestRow
from requests_app.rules import unconfirmed_id_message

# The row's columns shown masked on pages, with their inventory key; and the registry's, which
# are the certificate's person's (`registry_text`).
MASKED_COLUMNS: dict[str, str] = {
    name: f"requests_app.RequestRow.{name}"
    for columns in FORM_COLUMNS.values()
    for name in columns
    if is_masked(f"requests_app.RequestRow.{name}")
}
MASKED_REGISTRY: dict[str, str] = {
    "registry_national_id": "agencies.Person.national_id",
    "registry_id_issue_date": "agencies.Person.id_issue_date",
}


def columns(cert_request) -> list[tuple[str, str]]:
    """(name, label) of the letter's table, in the form's column order, with the registry's
    read-only columns (`table_columns`), less those its variant does not ask
    (`letter_columns`)."""
    form = cert_request.form
    registry = dict(REGISTRY_COLUMNS.get(form, []))
    own = set(letter_columns(cert_request)) | set(registry)
    return [
        (name, str(registry[name] if name in registry else label_of(name)))
        for name in table_columns(form)
        if name in own
    ]


def row_cells(row: RequestRow, columns: list[tuple[str, str]], make) -> list[dict]:
    """The row's cells for a page (`make` is `page_cell` or `editor_cell`), each with its
    column's name and label: on a phone the label is written before the value, and the
    column chooser hides a column by its name (docs/architecture.md §2.10)."""
    return [{**make(row, name), "name": name, "label": label} for name, label in columns]


def label_of(name: str) -> str:
    return RequestRow._meta.get_field(name).verbose_name


def device_certificate(device):
    """The newest certificate on the device (prefetch `device__certificates`)."""
    return max(device.certificates.all(), key=lambda c: c.not_before, default=None)


def registry_text(obj, name: str) -> str:
    """A registry column (`REGISTRY_COLUMNS`) of a picked certificate (Mẫu 05) or device
    (Mẫu 06), "" when nothing is picked or the registry has no value."""
    if obj is None:
        return ""
    if hasattr(obj, "subject_organization_id"):  # a certificate
        person = obj.person if obj.person_id else None
        organisation = obj.subject_organization if obj.subject_organization_id else None
        values = {
            "registry_national_id": person.national_id if person else "",
            "registry_id_issue_date": date_text(person.id_issue_date) if person else "",
            "registry_id_issue_place": person.id_issue_place if person else "",
            "registry_tax_code": organisation.tax_code if organisation else "",
            "registry_budget_code": organisation.budget_code if organisation else "",
            "registry_email": obj.email,
            "registry_device_serial": obj.device.serial if obj.device_id else "",
        }
        return values.get(name) or ""
    holder = obj.holder if obj.holder_id else None
    certificate = device_certificate(obj)
    if name == "registry_holder_certificate":
        if certificate is not None:
            return certificate.common_name
        return holder.full_name if holder else ""
    if name == "registry_holder_agency":
        if holder is not None and holder.organization_id:
            return holder.organization.name
        return obj.agency.name if obj.agency_id else ""
    if name == "registry_holder_email":
        if certificate is not None and certificate.email:
            return certificate.email
        return holder.official_email if holder else ""
    return ""


def date_text(value) -> str:
    """dd/mm/yyyy, or "" for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def value_text(row: RequestRow, name: str, *, yes: str = "✓") -> str:
    """One value of the row in words; `yes` is what a true boolean shows ("" for false)."""
    if name in REGISTRY_NAMES:
        return registry_text(row.certificate if row.certificate_id else row.device, name)
    if name == "certificate":
        return row.certificate.serial if row.certificate_id else ""
    if name == "device":
        return row.device.serial if row.device_id else ""
    value = getattr(row, name)
    if isinstance(value, bool):
        return yes if value else ""
    if value is None or value == "":
        return ""
    if name == "revoke_reason":
        try:
            return str(RevocationReason(value).label)
        except ValueError:
            return value
    if hasattr(value, "strftime"):
        return date_text(value)
    display = getattr(row, f"get_{name}_display", None)
    return str(display()) if display else value


def export_value(row: RequestRow, name: str) -> str:
    """A cell of the Excel export: a true boolean is "X", as the CA's sheets write it."""
    return value_text(row, name, yes="X")


def masked_cell(row: RequestRow, name: str, revealer: Revealer | None) -> tuple[str, str]:
    """A masked column's (text, html): the masked value, and with a `revealer` the same with
    its reveal control (a saved row's own value; a registry value through its person)."""
    if name in MASKED_REGISTRY:
        key = MASKED_REGISTRY[name]
        certificate = row.certificate if row.certificate_id else None
        person = certificate.person if certificate and certificate.person_id else None
        value = getattr(person, key.rpartition(".")[2]) if person else None
        pk, subject = (person.pk, person.pk) if person else (None, None)
    else:
        key, value = MASKED_COLUMNS[name], getattr(row, name)
        pk, subject = row.pk, row.person_id
    if value in (None, ""):
        return "", ""
    if revealer is None:
        return masked(key, value), ""
    if name not in MASKED_REGISTRY and revealer.in_full(row):
        return value_text(row, name), ""  # the author's own draft (docs/privacy.md §6)
    return masked(key, value), revealer.html(key, value, pk=pk, subject_person_id=subject)


# Every key of a page cell, always present: a missing key costs the template engine a failed
# lookup and a dir() of the dict, 54 of them per row of a Mẫu 01 (docs/scale.md §12.6).
PAGE_CELL = {
    "text": "", "html": "", "sub": "", "url": "", "mono": False, "center": False,
    "registry": False, "at_risk": False,
}  # fmt: skip


def page_cell(row: RequestRow, name: str, revealer: Revealer | None = None) -> dict:
    """A cell of the review page: the certificate linked by its serial, the device's kind
    under its serial, a masked value with its reveal control."""
    if name in MASKED_COLUMNS or name in MASKED_REGISTRY:
        text, html = masked_cell(row, name, revealer)
        return {**PAGE_CELL, "text": text, "html": html, "registry": name in MASKED_REGISTRY}
    return {**PAGE_CELL, **_page_cell(row, name)}


def _page_cell(row: RequestRow, name: str) -> dict:
    if name == "certificate":
        certificate = row.certificate
        if certificate is None:
            return {"text": "—"}
        return {
            "text": certificate.serial,
            "sub": certificate.common_name,
            "url": reverse("certificates:detail", args=[certificate.serial]),
            "mono": True,
            # its device reported lost, its revocation not yet on a CRL (docs/domain.md §3.8;
            # annotated by the letter's page, `certificate_key_at_risk`)
            "at_risk": getattr(row, "certificate_key_at_risk", False),
        }
    if name == "device":
        device = row.device
        if device is None:
            return {"text": "—"}
        return {"text": device.serial, "sub": device.get_kind_display(), "mono": True}
    text = value_text(row, name)
    if name in REGISTRY_NAMES:
        return {"text": text, "registry": True}
    if isinstance(getattr(row, name), bool):
        return {"text": text, "center": True}
    return {"text": text}


def editor_cell(row: RequestRow, name: str, revealer: Revealer | None = None) -> dict:
    """A cell of the draft editor (and the import preview, whose rows are not saved: masked
    without a control): the certificate's holder with its serial and e-mail under it, the
    device with its kind and holder, a masked value with its reveal control.

    Every key is always present: a missing key costs the template engine a slow failed
    lookup, which adds up over a 2,000-row letter.
    """
    text, html, sub, sub2, cls = "", "", "", "", ""
    if name in MASKED_COLUMNS or name in MASKED_REGISTRY:
        text, html = masked_cell(row, name, revealer if row.pk else None)
        if name in MASKED_REGISTRY:
            cls = "registry"
        elif name == "national_id" and row.national_id_unconfirmed:
            sub2, cls = "⚠ " + unconfirmed_id_message(row.national_id), "warning"
    elif name == "certificate":
        certificate = row.certificate
        if certificate is None:
            text = "—"
        else:
            text, sub, sub2 = certificate.common_name, certificate.serial, certificate.email
    elif name == "device":
        device = row.device
        if device is None:
            text = "—"
        else:
            text, sub, cls = device.serial, device.get_kind_display(), "mono"
            sub2 = device.holder.full_name if device.holder_id else ""
    elif name in REGISTRY_NAMES:
        text, cls = value_text(row, name), "registry"
    else:
        text = value_text(row, name)
        if isinstance(getattr(row, name), bool):
            cls = "center"
    return {
        "text": text, "html": html, "sub": sub, "sub2": sub2, "cls": cls,
        "mono_sub": name == "certificate",
    }  # fmt: skip
