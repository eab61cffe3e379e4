"""One letter row as the cells of its form's table, in the form's words: dates dd/mm/yyyy,
choice labels, ticks for booleans, serials linked to their pages."""

from django.urls import reverse

from certificates.choices import RevocationReason
from requests_app.columns import FORM_COLUMNS
from requests_app.models import RequestRow


def columns(form: str) -> list[tuple[str, str]]:
    return [
        (name, str(RequestRow._meta.get_field(name).verbose_name)) for name in FORM_COLUMNS[form]
    ]


def row_cell(row: RequestRow, name: str) -> dict:
    """One cell of the form's table, in the form's words (dates dd/mm/yyyy, labels, links)."""
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
    value = getattr(row, name)
    if name == "revoke_reason" and value:
        try:
            return {"text": RevocationReason(value).label}
        except ValueError:
            return {"text": value}
    if isinstance(value, bool):
        return {"text": "✓" if value else "", "center": True}
    if value is None or value == "":
        return {"text": ""}
    if hasattr(value, "strftime"):
        return {"text": value.strftime("%d/%m/%Y")}
    display = getattr(row, f"get_{name}_display", None)
    return {"text": display() if display else value}
