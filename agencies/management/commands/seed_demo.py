from django.core.management.base import BaseCommand

from agencies.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo organisation tree, people and one account per role (idempotent)."

    def handle(self, *args, **options):
        accounts = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo accounts:"))
        width = max(len(a.username) for a in accounts)
        for a in accounts:
            self.stdout.write(f"  {a.username:<{width}}  {a.password}  {a.label}")
