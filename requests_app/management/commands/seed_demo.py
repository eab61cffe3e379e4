from django.core.management.base import BaseCommand

from requests_app.demo import load_full_demo


class Command(BaseCommand):
    help = (
        "Load the demo: provinces, agencies, people, one account per role, certificates from "
        "the simulated CA, devices and letters at each workflow step (idempotent)."
    )

    def handle(self, *args, **options):
        accounts = load_full_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo accounts:"))
        width = max(len(a.username) for a in accounts)
        for a in accounts:
            self.stdout.write(f"  {a.username:<{width}}  {a.password}  {a.label}")
