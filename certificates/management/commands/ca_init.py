"""The key ceremony of the simulated CA (docs/ca.md).

manage.py ca_init            # create the root and issuing CA if missing; else nothing
manage.py ca_init --rotate --request --by <username> --reason "…"
                             # ask for a new issuing CA: an approval request (docs/approvals.md);
                             # once a CA operator or administrator other than the requester
                             # approves it, the worker rotates (the old CA stays for its CRL
                             # and OCSP)
manage.py ca_init --rotate   # rotate at once: refused unless an approval rule says no second
                             # person is needed for "authority.rotate"

Either also issues the time-stamping authority's certificate when there is none valid under
the active issuing CA (docs/ca.md, "Time-stamping authority").
"""

import hashlib

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from approvals.choices import ApprovalAction
from approvals.services import approval_needed, approval_request
from certificates.approval_kinds import ROTATE_KEY
from certificates.exceptions import CertificateError
from certificates.models import CertificateAuthority, TimestampUnit
from certificates.services import ca_initialize
from portal.errors import DomainError


class Command(BaseCommand):
    help = "Khởi tạo CA mô phỏng (CA gốc và CA phát hành); --rotate để thay khóa CA phát hành."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Tạo CA phát hành mới; CA cũ được giữ lại để phát hành CRL và trả lời OCSP.",
        )
        parser.add_argument(
            "--request",
            action="store_true",
            help="Với --rotate: lập đề nghị phê duyệt thay khóa (cần --by và --reason).",
        )
        parser.add_argument("--by", default="", help="Tên đăng nhập của người đề nghị.")
        parser.add_argument("--reason", default="", help="Lý do thay khóa.")

    def handle(self, *args, rotate: bool = False, **options):
        if options["request"] or options["by"] or options["reason"]:
            if not rotate:
                raise CommandError("--request, --by, --reason chỉ dùng cùng --rotate.")
            return self._request(options["by"], options["reason"])
        if rotate and approval_needed(action=ApprovalAction.CA_ROTATE):
            raise CommandError(
                "Thay khóa CA cần người thứ hai phê duyệt (docs/approvals.md). Lập đề nghị: "
                'manage.py ca_init --rotate --request --by <tên đăng nhập> --reason "<lý do>"; '
                "khi một cán bộ Cục CTS&BMTT hoặc quản trị viên khác phê duyệt, hệ thống tự "
                "thay khóa."
            )
        self._initialize(rotate)

    def _request(self, username: str, reason: str) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Không có tài khoản đang hoạt động “{username}” (--by).")
        try:
            approval = approval_request(
                action=ApprovalAction.CA_ROTATE,
                object_key=ROTATE_KEY,
                object_label="Thay khóa CA phát hành",
                by=user,
                reason=reason,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã lập đề nghị phê duyệt #{approval.pk} (thay khóa CA phát hành), hết hạn "
                f"{approval.expires_at:%d/%m/%Y %H:%M}. Khi được phê duyệt, hệ thống tự thay khóa."
            )
        )

    def _initialize(self, rotate: bool) -> None:
        units_before = set(TimestampUnit.objects.values_list("pk", flat=True))
        try:
            created = ca_initialize(by=None, rotate=rotate)
        except CertificateError as exc:
            raise CommandError(str(exc)) from exc
        unit = TimestampUnit.objects.filter(is_active=True).first()
        unit_created = unit is not None and unit.pk not in units_before
        if not created and not unit_created:
            self.stdout.write("CA đã được khởi tạo, không có gì thay đổi.")
        for authority in created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Đã tạo {authority.get_kind_display()}: {authority.subject_dn} "
                    f"(số hiệu {authority.serial}, hiệu lực đến {authority.not_after:%d/%m/%Y}, "
                    f"SHA-256 {authority.fingerprint_sha256})"
                )
            )
        if unit_created:
            fingerprint = hashlib.sha256(bytes(unit.certificate_der)).hexdigest().upper()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Đã tạo chứng thư dịch vụ cấp dấu thời gian: {unit.subject_dn} "
                    f"(số hiệu {unit.serial}, hiệu lực đến {unit.not_after:%d/%m/%Y}, "
                    f"SHA-256 {fingerprint})"
                )
            )
        for authority in CertificateAuthority.objects.public().filter(is_active=True):
            self.stdout.write(f"Đang hoạt động: {authority.get_kind_display()} {authority.name}")
        if unit is not None:
            self.stdout.write(f"Đang hoạt động: dịch vụ cấp dấu thời gian {unit.name}")
