from django.core.management.base import BaseCommand, CommandError

from dashboard.scale_seed import CA_USERNAME, CLERK_USERNAME, OFFICER_USERNAME, Sizes, seed_scale


class Command(BaseCommand):
    help = (
        "Fill an empty PostgreSQL database with the national-scale dataset the benchmarks use "
        "(docs/scale.md §12.1): agencies over the 34 provinces, people, devices, "
        "certificates, letters with their rows, Mẫu 07 notices and return obligations."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name in ("certificates", "letters", "agencies", "devices", "people", "notices"):
            parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
        parser.add_argument(
            "--obligations", type=int, default=defaults.obligations, help="open return obligations"
        )

    def handle(self, *args, **options):
        sizes = Sizes(**{name: options[name] for name in Sizes.__dataclass_fields__})
        if min(vars(sizes).values()) < 1:
            raise CommandError("Every size must be at least 1.")
        try:
            seed_scale(sizes, log=self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded. Accounts (no password; benchmarks sign in with force_login): "
                f"{CA_USERNAME}, {OFFICER_USERNAME.format(province='1…34')}, "
                f"{CLERK_USERNAME.format(agency='1…' + str(sizes.agencies))} and the heads."
            )
        )
