"""The registry list as Excel: the page's own filtered, scoped queryset, one line per
certificate (docs/architecture.md, "Exports")."""

from django.utils.translation import gettext as _

from portal.lib.exports import day, export_list


def export_certificates(certificates):
    """`certificates`: the registry page's queryset (`for_registry()`: agency, its province and
    the device in the same query)."""

    def line(certificate):
        device = certificate.device
        agency = certificate.agency
        return [
            certificate.serial,
            certificate.common_name,
            certificate.email,
            certificate.get_subject_kind_display(),
            agency.name if agency else "",
            agency.province.name if agency and agency.province_id else "",
            device.get_kind_display() if device else "",
            device.serial if device else "",
            day(certificate.not_before),
            day(certificate.not_after),
            certificate.get_status_display(),
        ]

    return export_list(
        filename="chung-thu-so",
        title=_("Sổ đăng ký chứng thư số"),
        headers=[
            _("Số hiệu"),
            _("Tên chứng thư"),
            _("Thư điện tử"),
            _("Loại thuê bao"),
            _("Cơ quan quản lý"),
            _("Tỉnh, thành phố"),
            _("Thiết bị"),
            _("Số hiệu thiết bị"),
            _("Hiệu lực từ"),
            _("Hiệu lực đến"),
            _("Trạng thái"),
        ],
        rows=certificates,
        line=line,
        text_columns=frozenset({0, 7}),
    )
