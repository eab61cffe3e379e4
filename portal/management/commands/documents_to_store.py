"""Move the PDFs of documents saved before the object store from their rows into the
`documents` storage (docs/deployment.md, "Rolling upgrade"): safe to run again, and while
nodes of the previous version still write rows."""

from django.apps import apps
from django.core.management.base import BaseCommand

from portal.documents import StoredDocument, documents_to_store


class Command(BaseCommand):
    help = "Move stored documents' PDFs from the database into the documents' storage."

    def handle(self, *args, **options):
        for model in apps.get_models():
            if issubclass(model, StoredDocument):
                moved = documents_to_store(model)
                self.stdout.write(f"{model._meta.label}: {moved} moved")
