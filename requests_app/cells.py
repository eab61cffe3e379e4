"""A letter's row as cells: the one place that says how a row value is written.

Dates dd/mm/yyyy, choices by their label (the revocation reason too, though its field has no
choices), booleans as a mark, the certificate or device by its serial. The review page, the
draft editor and the Excel export each take the shape they need from here, so a column reads
the same everywhere.
"""

from django.urls import reverse

from certificates.choices import RevocationReason
from requests_app.columns import FORM_COLUMNS
from requests_app.models import RequestRow
from requests_app.rules import unconfirmed_id_message


def columns(form: str) -> list[tuple[str, str]]:
    """(field name, label) of the form's table, in the form's column order."""
    return [
        (name, str(RequestRow._meta.get_field(name).verbose_name)) for name in FORM_COLUMNS[form]
    ]


def date_text(value) -> str:
    """dd/mm/yyyy, or "" for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def value_text(row: RequestRow, name: str, *, yes: str = "✓") -> str:
    """One value of the row in words; `yes` is what a true boolean shows ("" for false)."""
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
            return RevocationReason(value).label
        except ValueError:
            return value
    if hasattr(value, "strftime"):
        return date_text(value)
    display = getattr(row, f"get_{name}_display", None)
    return str(display()) if display else value


def export_value(row: RequestRow, name: str) -> str:
    """A cell of the Excel export: a true boolean is "X", as the CA's sheets write it."""
    return value_text(row, name, yes="X")


def page_cell(row: RequestRow, name: str) -> dict:
    """A cell of the review page: the certificate linked by its serial, the device's kind
    under its serial."""
    if name == "certificate":
        certificate = row.certificate
        if certificate is None:
            return {"text": "—"}
        return {
            "text": certificate.serial,
            "sub": certificate.common_name,
            "url": reverse("certificates:detail", args=[certificate.serial]),
            "mono": True,
        }
    if name == "device":
        device = row.device
        if device is None:
            return {"text": "—"}
        return {"text": device.serial, "sub": device.get_kind_display(), "mono": True}
    text = value_text(row, name)
    if isinstance(getattr(row, name), bool):
        return {"text": text, "center": True}
    return {"text": text}


def editor_cell(row: RequestRow, name: str) -> dict:
    """A cell of the draft editor (and the import preview): the certificate's holder with its
    serial and e-mail under it, the device with its kind and holder.

    Every key is always present: a missing key costs the template engine a slow failed
    lookup, which adds up over a 2,000-row letter.
    """
    text, sub, sub2, cls = "", "", "", ""
    if name == "certificate":
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
    else:
        text = value_text(row, name)
        if isinstance(getattr(row, name), bool):
            cls = "center"
        elif name == "national_id" and row.national_id_unconfirmed:
            sub2, cls = "⚠ " + unconfirmed_id_message(row.national_id), "warning"
    return {"text": text, "sub": sub, "sub2": sub2, "cls": cls, "mono_sub": name == "certificate"}
