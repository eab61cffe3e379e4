"""The CA's stock: device serials imported from a spreadsheet, all or nothing.

Like a careful bank import: the file is read and every line checked (format, duplicates within
the file and against the registry) for a preview; nothing is written until the CA operator
confirms, and the confirmation checks everything again and writes every device or none.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.choices import DeviceKind
from devices.models import CustodyRecord, Device
from devices.permissions import is_ca, require
from portal.audit import audit_record
from portal.errors import DomainError
from portal.imports import PROGRESS_EVERY

H = CustodyRecord.HolderKind
MAX_ROWS = 20_000


@dataclass(frozen=True)
class StockRow:
    """One line of the import file, as read (text already NFC-normalised and trimmed)."""

    line: int
    kind: str
    serial: str
    iccid: str = ""
    phone: str = ""
    carrier: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def device(self) -> Device:
        return Device(
            kind=self.kind,
            serial=self.serial,
            iccid=self.iccid,
            phone=self.phone,
            carrier=self.carrier,
        )


class StockImportRefused(DomainError):
    """The file has problems: {line: [messages]}. Nothing was imported."""

    def __init__(self, problems: dict[int, list[str]]):
        lines = ", ".join(str(n) for n in sorted(problems)[:20])
        super().__init__(
            _("Không nhập thiết bị nào: %(n)d dòng có lỗi (dòng %(lines)s).")
            % {"n": len(problems), "lines": lines},
            code="stock_import_refused",
        )
        self.problems = problems


def stock_rows_check(rows: Sequence[StockRow], *, progress=None) -> dict[int, list[str]]:
    """Every problem of every line: {line: [Vietnamese messages]}; empty means importable.

    Checks each device's own rules (`Device.clean`, field validators), duplicates within the
    file (serial per kind, ICCID, signing phone number) and serials already registered.
    Costs one query per device kind present in the file. `progress(done, total)`, when
    given, hears every PROGRESS_EVERY lines.
    """
    problems: dict[int, list[str]] = defaultdict(list)
    if not rows:
        return {0: [_("Tệp không có dòng thiết bị nào.")]}
    if len(rows) > MAX_ROWS:
        return {0: [_("Mỗi lần nhập tối đa %(n)d thiết bị.") % {"n": MAX_ROWS}]}
    devices: dict[int, Device] = {}
    total = len(rows)
    for index, row in enumerate(rows, start=1):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, total)
        if row.kind not in DeviceKind.values:
            problems[row.line].append(_("Loại thiết bị không hợp lệ."))
            continue
        device = row.device()
        try:
            device.full_clean(
                exclude=["agency", "holder", "status"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                label = Device._meta.get_field(field).verbose_name if field != "__all__" else ""
                for message in messages:
                    text = f"{str(label).capitalize()}: {message}" if label else message
                    if text not in problems[row.line]:
                        problems[row.line].append(text)
            continue
        devices[row.line] = device

    seen: dict[tuple, int] = {}
    for line, device in devices.items():
        keys = [("serial", device.kind, device.serial)]
        if device.iccid:
            keys.append(("iccid", device.iccid))
        if device.phone:
            keys.append(("phone", device.phone))
        for key in keys:
            first = seen.setdefault(key, line)
            if first != line:
                what = {"serial": _("số hiệu"), "iccid": _("ICCID"), "phone": _("số điện thoại")}
                problems[line].append(
                    _("Trùng %(what)s với dòng %(first)d.") % {"what": what[key[0]], "first": first}
                )

    lines_by_serial: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for line, device in devices.items():
        lines_by_serial[device.kind][device.serial].append(line)
    for kind, serials in lines_by_serial.items():
        existing = Device.objects.filter(kind=kind, serial__in=list(serials)).values_list(
            "serial", flat=True
        )
        for serial in existing:
            for line in serials[serial]:
                problems[line].append(
                    _("Số hiệu %(serial)s đã có trong hệ thống.") % {"serial": serial}
                )
    return {line: messages for line, messages in problems.items() if messages}


def device_import_stock(*, rows: Sequence[StockRow], by) -> list[Device]:
    """Add every device of the file to the CA's stock, or none (StockImportRefused)."""
    require(is_ca(by))
    problems = stock_rows_check(rows)
    if problems:
        raise StockImportRefused(problems)
    devices = []
    for row in rows:
        device = row.device()
        device.clean()
        devices.append(device)
    try:
        with transaction.atomic():
            created = Device.objects.bulk_create(devices, batch_size=1000)
            now = timezone.now()
            CustodyRecord.objects.bulk_create(
                [
                    CustodyRecord(
                        device=device,
                        status=device.status,
                        holder_kind=H.CA,
                        held_from=now,
                        handed_by=by,
                        document_ref=_("Nhập kho từ tệp"),
                    )
                    for device in created
                ],
                batch_size=1000,
            )
            kinds: dict[str, int] = defaultdict(int)
            for device in created:
                kinds[device.kind] += 1
            audit_record(
                actor=by,
                action="device.import_stock",
                after={
                    "count": len(created),
                    "by_kind": dict(kinds),
                    "first": created[0].serial,
                    "last": created[-1].serial,
                },
            )
    except IntegrityError as exc:
        # Someone registered one of these serials between the check and the write.
        raise StockImportRefused(
            {0: [_("Một số hiệu vừa được nhập bởi người khác; hãy kiểm tra lại tệp.")]}
        ) from exc
    return created
