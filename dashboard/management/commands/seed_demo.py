from django.core.management.base import BaseCommand

from agencies.demo import DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_USERNAMES
from demand.demo import load_demand_demo
from requests_app.demo import load_full_demo


class Command(BaseCommand):
    help = (
        "Load the demo: provinces, agencies, people, one account per role, certificates from "
        "the simulated CA, devices and letters at each workflow step, a demand campaign (idempotent)."
    )

    def handle(self, *args, **options):
        accounts = load_full_demo()
        load_demand_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo accounts:"))
        width = max(len(a.username) for a in accounts)
        for a in accounts:
            self.stdout.write(f"  {a.username:<{width}}  {a.password}  {a.label}")
        self.stdout.write(
            f"Two-factor sign-in for {', '.join(DEMO_TWO_FACTOR_USERNAMES)}: after the password, "
            f"enter the 6-digit code of an authenticator app set up with the secret "
            f"{DEMO_TOTP_SECRET} (time-based, 6 digits, 30 s), or one of the recovery codes "
            f"{', '.join(DEMO_RECOVERY_CODES)} (each once; loading the demo again restores them)."
        )
