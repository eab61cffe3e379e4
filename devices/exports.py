"""The devices' lists as Excel (the inventory, the return obligations): each the page's own
filtered, scoped queryset, streamed by `portal.lib.exports.export_list`
(docs/processing.md, "Exports"; a large list is built by the worker, §12.5). The inventory
writes a SIM's phone number masked unless the export was asked with full values
(`inventory_full_export`, docs/privacy.md, "Exports, API and documents")."""

from django.utils import timezone
from django.utils.translation import gettext as _

from devices.choices import Carrier, DeviceKind, DeviceStatus, ReceiverKind, ReturnReason
from portal.lib.exports import ListExport, day, export_list, labels, moment
from privacy.access import Subject
from privacy.disclosure import MASKED, Disclosure

PHONE = "devices.Device.phone"

# The inventory's columns, read as plain tuples: no model instance per device (the CA's
# 300,000 devices, docs/scale.md §12.5).
INVENTORY_COLUMNS = (
    "kind",
    "serial",
    "iccid",
    "phone",
    "carrier",
    "status",
    "agency__name",
    "agency__code",
    "agency__province__name",
    "holder__full_name",
    "certificate_serial",
    "return_due_on",
    "return_overdue",
    "holder_id",
    "holder__national_id_index",
)


def _state(obligation, today) -> str:
    if obligation.closed_at:
        return _("Đã xong")
    if obligation.minutes_id:
        return _("Chờ bên nhận xác nhận")
    if obligation.due_on < today and not obligation.handed_over_on:
        return _("Quá hạn")
    return _("Chưa bàn giao")


def _inventory(devices, *, title: str, disclosure: Disclosure, subjects: list | None) -> dict:
    """The inventory's export as `export_list` takes it. The phone is masked unless
    `disclosure` shows it in full; then the holder of each number written is added to
    `subjects` as the line is written."""
    kinds, carriers, statuses = labels(DeviceKind), labels(Carrier), labels(DeviceStatus)

    def line(device):
        kind, serial, iccid, phone, carrier, status, agency, agency_code, province, *tail = device
        holder, certificate_serial, return_due_on, return_overdue, holder_id, index = tail
        if subjects is not None and phone and holder_id:
            subjects.append(Subject(holder_id, index or ""))
        return [
            kinds.get(kind, kind),
            serial,
            iccid,
            disclosure.show(PHONE, phone),
            carriers.get(carrier, carrier),
            statuses.get(status, status),
            agency or "",
            agency_code or "",
            province or "",
            holder or "",
            certificate_serial or "",
            day(return_due_on),
            "X" if return_overdue else "",
        ]

    return {
        "filename": "thiet-bi",
        "title": str(title),
        "headers": [
            str(header)
            for header in (
                _("Loại thiết bị"),
                _("Số hiệu"),
                "ICCID",
                _("Số điện thoại ký số"),
                _("Nhà mạng"),
                _("Trạng thái"),
                _("Cơ quan quản lý"),
                _("Mã định danh cơ quan"),
                _("Tỉnh, thành phố"),
                _("Thuê bao"),
                _("Số hiệu chứng thư"),
                _("Hạn bàn giao lại"),
                _("Quá hạn"),
            )
        ],
        "rows": devices.values_list(*INVENTORY_COLUMNS),
        "line": line,
        # Serial, ICCID, phone, certificate serial: text cells (leading zeros, 19-digit ICCIDs).
        "text_columns": frozenset({1, 2, 3, 7, 10}),
    }


def export_inventory(devices, *, title: str, request=None):
    """`devices` comes from `Device.objects.visible_to(user)` with the page's filters,
    annotated by `with_certificate()` and `with_return_due()`; only INVENTORY_COLUMNS are
    read (agency, province and holder joined in the same query). Phones masked."""
    return export_list(
        request=request, **_inventory(devices, title=title, disclosure=MASKED, subjects=None)
    )


def inventory_full_export(devices, *, title: str, disclosure: Disclosure):
    """The inventory with full phone numbers, written now (never by the worker: no stored
    file holds full values), and the holders of the numbers it wrote."""
    subjects: list[Subject] = []
    export = ListExport(
        **_inventory(devices, title=title, disclosure=disclosure, subjects=subjects)
    )
    return export.response(), subjects


def export_obligations(obligations, *, request=None):
    """`obligations`: the returns page's queryset (device, agency, its province, person and
    minutes in the same query)."""
    today = timezone.localdate()
    kinds, reasons = labels(DeviceKind), labels(ReturnReason)

    def line(obligation):
        agency = obligation.agency
        return [
            obligation.device.serial,
            kinds.get(obligation.device.kind, obligation.device.kind),
            obligation.person.full_name if obligation.person_id else "",
            obligation.certificate_serial,
            agency.name,
            agency.code or "",
            agency.province.name if agency.province_id else "",
            reasons.get(obligation.reason, obligation.reason),
            day(obligation.notified_on),
            day(obligation.due_on),
            obligation.minutes.number if obligation.minutes_id else "",
            day(obligation.handed_over_on),
            _state(obligation, today),
        ]

    return export_list(
        request=request,
        filename="ban-giao-lai",
        title=_("Thiết bị phải bàn giao lại"),
        headers=[
            _("Số hiệu thiết bị"),
            _("Loại thiết bị"),
            _("Thuê bao"),
            _("Số hiệu chứng thư"),
            _("Cơ quan"),
            _("Mã định danh cơ quan"),
            _("Tỉnh, thành phố"),
            _("Lý do"),
            _("Ngày thông báo"),
            _("Hạn bàn giao"),
            _("Số biên bản"),
            _("Ngày bàn giao"),
            _("Tình trạng"),
        ],
        rows=obligations,
        line=line,
        text_columns=frozenset({0, 3, 5, 10}),
    )


def _agency_headers() -> list[str]:
    return [_("Cơ quan"), _("Mã định danh cơ quan"), _("Tỉnh, thành phố")]


def _document_columns(kind: str):
    """(headers, line, text columns) of a Mẫu 07/08/09 list."""
    if kind == "notices":
        headers = [_("Số"), *_agency_headers(), _("Ngày thông báo")]
        headers += [_("Ngày bàn giao"), _("Số thiết bị"), _("Gửi CA lúc")]

        def line(doc):
            return [day(doc.issued_on), day(doc.handed_on), doc.device_count, moment(doc.sent_at)]

        return headers, line, frozenset({0, 2})
    if kind == "minutes":
        headers = [_("Số"), *_agency_headers(), _("Thời gian giao nhận")]
        headers += [_("Bên nhận"), _("Số thiết bị"), _("Trạng thái")]

        receivers = labels(ReceiverKind)
        confirmed, waiting = _("Đã xác nhận"), _("Chờ bên nhận xác nhận")

        def line(doc):
            state = confirmed if doc.confirmed_at else waiting
            receiver = receivers.get(doc.receiver_kind, doc.receiver_kind)
            return [moment(doc.held_at), receiver, doc.device_count, state]

        return headers, line, frozenset({0, 2})
    headers = [_("Số"), *_agency_headers(), _("Số hiệu thiết bị")]
    headers += [_("Thuê bao"), _("Số hiệu chứng thư"), _("Ngày thất lạc")]

    def line(doc):
        return [doc.device.serial, doc.subscriber_name, doc.certificate_serial, day(doc.lost_on)]

    return headers, line, frozenset({0, 2, 4, 6})


def export_documents(documents, *, kind: str, title: str, request=None):
    """A Mẫu 07 ("notices"), 08 ("minutes") or 09 ("losses") list: the page's queryset (agency
    and its province, for Mẫu 09 the device, in the same query)."""
    headers, tail, text_columns = _document_columns(kind)

    def line(doc):
        agency = doc.agency
        province = agency.province.name if agency.province_id else ""
        return [doc.number, agency.name, agency.code or "", province, *tail(doc)]

    filename = {"notices": "mau-07", "minutes": "mau-08", "losses": "mau-09"}[kind]
    return export_list(
        request=request,
        filename=filename,
        title=str(title),
        headers=headers,
        rows=documents,
        line=line,
        text_columns=text_columns,
    )
