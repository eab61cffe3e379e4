"""The CA's stock over the API: the same lines as the stock spreadsheet, as JSON
(docs/api.md §9). Each line is read by the file's own reader
(`devices.excel.read_stock_line`: text NFC-normalised and trimmed, kinds and carriers by their
names, serials upper-cased), then `device_import_stock` checks every line and writes every
device or none. Problems come back per row index (0-based), like a letter's rows."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from devices.excel import read_stock_line
from devices.models import Device
from devices.permissions import is_ca, require
from devices.services import StockImportRefused, device_import_stock, stock_rows_check
from devices.services.stock import MAX_ROWS
from portal.api.bulk import BoundedRows

KEYS = ("kind", "serial", "iccid", "phone", "carrier")


def _text(help_text, max_length=64):
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, help_text=help_text
    )


class StockLineSerializer(serializers.Serializer):
    kind = _text(_("Loại thiết bị: usb_token (hoặc trống), sim_pki, sd_secure, soft, rssp, hsm."))
    serial = _text(_("Số hiệu thiết bị (SIM PKI có thể để trống: dùng ICCID)."), 128)
    iccid = _text(_("ICCID, chỉ với SIM PKI."))
    phone = _text(_("Số điện thoại ký số, chỉ với SIM PKI."), 32)
    carrier = _text(_("Nhà mạng, chỉ với SIM PKI: Viettel, Vinaphone, Mobifone."), 32)


class StockImportSerializer(serializers.Serializer):
    rows = BoundedRows(
        child=StockLineSerializer(),
        min_length=1,
        max_length=MAX_ROWS,
        help_text=_("Các thiết bị nhập kho: tất cả hoặc không thiết bị nào."),
    )


def stock_import(*, rows: list[dict], user) -> list[Device]:
    """Read every line as the file's reader does and import them all, or none: a refusal is
    StockImportRefused with `errors` {row index: [messages]}."""
    require(is_ca(user))  # a non-operator is told 403 before any line is read
    read, problems = [], {}
    for index, data in enumerate(rows):
        row, found = read_stock_line(index + 1, lambda key, data=data: data.get(key))
        read.append(row)
        if found:
            problems[row.line] = found
    try:
        if problems:
            # Report the rules' problems too, as the file's preview does, then refuse.
            for line, found in stock_rows_check(read).items():
                problems[line] = problems.get(line, []) + [
                    m for m in found if m not in problems.get(line, [])
                ]
            raise StockImportRefused(problems)
        return device_import_stock(rows=read, by=user)
    except StockImportRefused as exc:
        exc.errors = {
            (line - 1 if line else "non_field_errors"): messages
            for line, messages in sorted(exc.problems.items())
        }
        raise
