"""The key ceremony of the simulated CA (docs/ca.md).

manage.py ca_init            # create the root and issuing CA if missing; else nothing
manage.py ca_init --rotate   # new issuing CA; the old one stays for its CRL and OCSP

Either also issues the time-stamping authority's certificate when there is none valid under
the active issuing CA (docs/ca.md, "Time-stamping authority").
"""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from certificates.exceptions import CertificateError
from certificates.models import CertificateAuthority, TimestampUnit
from certificates.services import ca_initialize


class Command(BaseCommand):
    help = "Khởi tạo CA mô phỏng (CA gốc và CA phát hành); --rotate để thay khóa CA phát hành."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Tạo CA phát hành mới; CA cũ được giữ lại để phát hành CRL và trả lời OCSP.",
        )

    def handle(self, *args, rotate: bool = False, **options):
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
