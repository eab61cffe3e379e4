"""Copy the PDFs of stored documents from their rows into the `documents` storage, and with
--empty-rows empty the rows (docs/deployment.md, "Rolling upgrade"): safe to run again; empty
the rows only once no node of a previous version runs."""

from django.apps import apps
from django.core.management.base import BaseCommand

from portal.documents import StoredDocument, documents_to_store


class Command(BaseCommand):
    help = "Copy stored documents' PDFs from the database into the documents' storage."

    def add_arguments(self, parser):
        parser.add_argument(
            "--empty-rows",
            action="store_true",
            help="then empty each row whose stored copy reads back right",
        )

    def handle(self, *args, **options):
        for model in apps.get_models():
            if issubclass(model, StoredDocument):
                copied = documents_to_store(model, empty_rows=options["empty_rows"])
                self.stdout.write(f"{model._meta.label}: {copied} copied")
