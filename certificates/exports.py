"""The registry list as Excel: the page's own filtered, scoped queryset, one line per
certificate (docs/processing.md, "Exports"; a large list is built by the worker, §12.5)."""

from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from certificates.choices import CertStatus, SubjectKind
from devices.choices import DeviceKind
from portal.lib.exports import day, export_list, labels

# Read as plain tuples: no model instance per certificate (a million at the CA, §12.5); the
# validity as local dates computed by the database (a timezone conversion per value in Python
# cost more than the rest of the line).
COLUMNS = (
    "serial",
    "common_name",
    "email",
    "subject_kind",
    "agency__name",
    "agency__code",
    "agency__province__name",
    "device__kind",
    "device__serial",
    "valid_from",
    "valid_to",
    "status",
)


def export_certificates(certificates, *, request=None):
    """`certificates`: the registry page's queryset; only COLUMNS are read (agency, its
    province and the device joined in the same query)."""
    subject_kinds, device_kinds = labels(SubjectKind), labels(DeviceKind)
    statuses = labels(CertStatus)

    def line(certificate):
        serial, name, email, subject_kind, agency, agency_code, province, *tail = certificate
        device_kind, device_serial, valid_from, valid_to, status = tail
        return [
            serial,
            name,
            email,
            subject_kinds.get(subject_kind, subject_kind),
            agency or "",
            agency_code or "",
            province or "",
            device_kinds.get(device_kind, device_kind) if device_kind else "",
            device_serial or "",
            day(valid_from),
            day(valid_to),
            statuses.get(status, status),
        ]

    return export_list(
        request=request,
        filename="chung-thu-so",
        title=_("Sổ đăng ký chứng thư số"),
        headers=[
            _("Số hiệu"),
            _("Tên chứng thư"),
            _("Thư điện tử"),
            _("Loại thuê bao"),
            _("Cơ quan quản lý"),
            _("Mã định danh cơ quan"),
            _("Tỉnh, thành phố"),
            _("Thiết bị"),
            _("Số hiệu thiết bị"),
            _("Hiệu lực từ"),
            _("Hiệu lực đến"),
            _("Trạng thái"),
        ],
        rows=certificates.annotate(
            valid_from=TruncDate("not_before"), valid_to=TruncDate("not_after")
        ).values_list(*COLUMNS),
        line=line,
        text_columns=frozenset({0, 5, 8}),
    )
