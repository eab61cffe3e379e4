"""Re-encrypt every personal-data column under the first key of PORTAL_FIELD_KEYS and refresh
the blind indexes (docs/privacy-at-rest.md, "Rotating a key"): batches of
PORTAL_FIELD_CRYPTO_BATCH rows, each its own transaction; rows already under the first key are
left alone, so a run stopped half-way is resumed by running it again, and `--after` skips the
rows a previous run reported done."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.audit import audit_record
from portal.field_rotation import encrypted_fields, reencrypt_model


class Command(BaseCommand):
    help = (
        "Re-encrypt ID numbers, birth dates, phones and the files kept in rows under the first "
        "PORTAL_FIELD_KEYS key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", help="only this model (app_label.Model)")
        parser.add_argument("--after", type=int, default=0, help="resume after this primary key")
        parser.add_argument("--batch", type=int, default=0, help="rows per transaction")

    def handle(self, *args, **options):
        models = [model for model in apps.get_models() if encrypted_fields(model)]
        if options["model"]:
            models = [model for model in models if model._meta.label == options["model"]]
            if not models:
                raise CommandError(f"{options['model']} has no encrypted field")
        elif options["after"]:
            raise CommandError("--after needs --model")
        counts = {}
        for model in models:
            count = reencrypt_model(
                model,
                batch=options["batch"],
                after_pk=options["after"],
                progress=lambda label, last: self.stdout.write(f"{label}: done up to pk {last}"),
            )
            counts[count.model] = {"rows": count.rows, "rewritten": count.written}
            line = f"{count.model}: {count.rows} rows read, {count.written} rewritten"
            if count.files:
                counts[count.model] |= {
                    "files": count.files,
                    "files_rewritten": count.files_written,
                }
                line += f"; {count.files} files read, {count.files_written} rewritten"
            self.stdout.write(line)
        with transaction.atomic():
            audit_record(actor=None, action="field_keys.rotate", after=counts)
