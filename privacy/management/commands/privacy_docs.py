"""Write the personal-data inventory (privacy.inventory) into docs/privacy.md, between its
markers; `--check` fails when the committed file differs (tests/privacy/test_docs.py)."""

from django.core.management.base import BaseCommand, CommandError

from privacy.table import DOCS_PATH, written_docs


class Command(BaseCommand):
    help = "Write the personal-data inventory into docs/privacy.md."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the file differs.")

    def handle(self, *args, check: bool, **options):
        current = DOCS_PATH.read_text(encoding="utf-8")
        wanted = written_docs(current)
        if check:
            if wanted != current:
                raise CommandError("docs/privacy.md is out of date: run manage.py privacy_docs")
            return
        if wanted != current:
            DOCS_PATH.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"{DOCS_PATH.name}: {'written' if wanted != current else 'unchanged'}")
