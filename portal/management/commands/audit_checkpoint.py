from django.core.management.base import BaseCommand

from portal.audit import audit_checkpoint


class Command(BaseCommand):
    help = (
        "Append the audit chain's head to AUDIT_CHECKPOINT_FILE (and e-mail it); what beat "
        "does every AUDIT_CHECKPOINT_MINUTES (docs/operations.md)."
    )

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint()
        if checkpoint is None:
            self.stdout.write("No new checkpoint: the head is already checkpointed (or empty).")
        else:
            self.stdout.write(f"Checkpoint written: seq {checkpoint.seq}, key {checkpoint.key_id}")
