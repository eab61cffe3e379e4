"""Import edXML files by hand (docs/exchange.md, "edXML packages"): a letter package into the
receiving office, or a status message into the sender's letter, as the user named, through
the same services as the upload page. Each file's outcome is printed; a refused file is
named with the reason and the command ends with a non-zero status."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exchange import services
from exchange.edxml.messages import MAX_BYTES
from portal.errors import DomainError


class Command(BaseCommand):
    help = "Nhận gói văn bản hoặc thông điệp trạng thái edXML."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--as", dest="username", required=True)
        parser.add_argument("--status", action="store_true", help="the files are status messages")

    def handle(self, *args, files, username, status, **options):
        by = get_user_model().objects.filter(username=username).first()
        if by is None:
            raise CommandError(f"Không có người dùng “{username}”.")
        refused = 0
        for path in files:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            try:
                if status:
                    letter = services.letter_edxml_status_import(data=data, by=by).letter
                else:
                    letter = services.letter_edxml_import(data=data, by=by)
            except DomainError as exc:
                refused += 1
                self.stderr.write(f"{path}: {exc.message}")
            else:
                self.stdout.write(f"{path}: {letter.pk} {letter.number} {letter.status}")
        if refused:
            raise CommandError(f"{refused} tệp bị từ chối.")
