"""The devices' lists as Excel (the inventory, the return obligations): each the page's own
filtered, scoped queryset, streamed by `portal.lib.exports.export_list`
(docs/architecture.md, "Exports")."""

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.lib.exports import day, export_list, moment


def _state(obligation, today) -> str:
    if obligation.closed_at:
        return _("Đã xong")
    if obligation.minutes_id:
        return _("Chờ bên nhận xác nhận")
    if obligation.due_on < today and not obligation.handed_over_on:
        return _("Quá hạn")
    return _("Chưa bàn giao")


def export_inventory(devices, *, title: str):
    """`devices` comes from `Device.objects.visible_to(user)` with the page's filters,
    annotated by `with_certificate()` and `with_return_due()`, with its agency, the agency's
    province and the holder in the same query."""

    def line(device):
        agency = device.agency
        return [
            device.get_kind_display(),
            device.serial,
            device.iccid,
            device.phone,
            device.get_carrier_display() if device.carrier else "",
            device.get_status_display(),
            agency.name if agency else "",
            agency.province.name if agency and agency.province_id else "",
            device.holder.full_name if device.holder_id else "",
            device.certificate_serial or "",
            day(device.return_due_on),
            "X" if device.return_overdue else "",
        ]

    return export_list(
        filename="thiet-bi",
        title=title,
        headers=[
            _("Loại thiết bị"),
            _("Số hiệu"),
            "ICCID",
            _("Số điện thoại ký số"),
            _("Nhà mạng"),
            _("Trạng thái"),
            _("Cơ quan quản lý"),
            _("Tỉnh, thành phố"),
            _("Thuê bao"),
            _("Số hiệu chứng thư"),
            _("Hạn bàn giao lại"),
            _("Quá hạn"),
        ],
        rows=devices,
        line=line,
        # Serial, ICCID, phone, certificate serial: text cells (leading zeros, 19-digit ICCIDs).
        text_columns=frozenset({1, 2, 3, 9}),
    )


def export_obligations(obligations):
    """`obligations`: the returns page's queryset (device, agency, its province, person and
    minutes in the same query)."""
    today = timezone.localdate()

    def line(obligation):
        agency = obligation.agency
        return [
            obligation.device.serial,
            obligation.device.get_kind_display(),
            obligation.person.full_name if obligation.person_id else "",
            obligation.certificate_serial,
            agency.name,
            agency.province.name if agency.province_id else "",
            obligation.get_reason_display(),
            day(obligation.notified_on),
            day(obligation.due_on),
            obligation.minutes.number if obligation.minutes_id else "",
            day(obligation.handed_over_on),
            _state(obligation, today),
        ]

    return export_list(
        filename="ban-giao-lai",
        title=_("Thiết bị phải bàn giao lại"),
        headers=[
            _("Số hiệu thiết bị"),
            _("Loại thiết bị"),
            _("Thuê bao"),
            _("Số hiệu chứng thư"),
            _("Cơ quan"),
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
        text_columns=frozenset({0, 3, 9}),
    )


def _document_columns(kind: str):
    """(headers, line, text columns) of a Mẫu 07/08/09 list."""
    if kind == "notices":
        headers = [_("Số"), _("Cơ quan"), _("Tỉnh, thành phố"), _("Ngày thông báo")]
        headers += [_("Ngày bàn giao"), _("Số thiết bị"), _("Gửi CA lúc")]

        def line(doc):
            return [day(doc.issued_on), day(doc.handed_on), doc.device_count, moment(doc.sent_at)]

        return headers, line, frozenset({0})
    if kind == "minutes":
        headers = [_("Số"), _("Cơ quan"), _("Tỉnh, thành phố"), _("Thời gian giao nhận")]
        headers += [_("Bên nhận"), _("Số thiết bị"), _("Trạng thái")]

        def line(doc):
            state = _("Đã xác nhận") if doc.confirmed_at else _("Chờ bên nhận xác nhận")
            return [moment(doc.held_at), doc.get_receiver_kind_display(), doc.device_count, state]

        return headers, line, frozenset({0})
    headers = [_("Số"), _("Cơ quan"), _("Tỉnh, thành phố"), _("Số hiệu thiết bị")]
    headers += [_("Thuê bao"), _("Số hiệu chứng thư"), _("Ngày thất lạc")]

    def line(doc):
        return [doc.device.serial, doc.subscriber_name, doc.certificate_serial, day(doc.lost_on)]

    return headers, line, frozenset({0, 3, 5})


def export_documents(documents, *, kind: str, title: str):
    """A Mẫu 07 ("notices"), 08 ("minutes") or 09 ("losses") list: the page's queryset (agency
    and its province, for Mẫu 09 the device, in the same query)."""
    headers, tail, text_columns = _document_columns(kind)

    def line(doc):
        agency = doc.agency
        province = agency.province.name if agency.province_id else ""
        return [doc.number, agency.name, province, *tail(doc)]

    filename = {"notices": "mau-07", "minutes": "mau-08", "losses": "mau-09"}[kind]
    return export_list(
        filename=filename,
        title=str(title),
        headers=headers,
        rows=documents,
        line=line,
        text_columns=text_columns,
    )
