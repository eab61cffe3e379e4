"""The retention sweep at scale, on PostgreSQL (docs/retention.md): goal at most 60 s for the
nightly sweep among 1,000,000 certificates.

Seeds the national dataset (`dashboard.scale_seed`, every size times --scale) on a throw-away
database, or copies bench/run's dataset (--from-template), then times every retention sweep
(sessions, import and export jobs, mails, drafts, letters, people) twice as beat runs them:

- tonight: the dataset as seeded, little past its period (the usual night);
- thirteen years on (the sweep's `now` moved): every certificate ended and every closed letter
  past the records' period, so the first run minimises nearly every letter and person at
  once (the worst backlog, as on the first night after the feature ships on old data); the
  second run finds nothing more.

The goal is judged on the worst run at --scale 1 (1M certificates); at a smaller scale the
figure and the scale are printed, not judged. `audit_verify` runs at the end.

    python bench/bench_retention.py --scale 0.02          # 20,000 certificates, a minute
    python bench/bench_retention.py --from-template portal_scale   # bench/run's dataset
"""

import argparse
import os
import sys
import time
from dataclasses import fields

import _setup

GOAL_SECONDS = 60.0
GOAL_CERTIFICATES = 1_000_000


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _sweep(now) -> dict[str, tuple[int, float]]:
    """Every retention sweep as beat runs them, each with what it changed and its seconds."""
    from mailing.services import mail_retention_sweep
    from portal import retention as portal_retention
    from requests_app.services import retention

    parts = {
        "sessions": portal_retention.sessions_sweep,
        "import jobs": portal_retention.import_jobs_retention_sweep,
        "export jobs": portal_retention.export_jobs_retention_sweep,
        "mails": mail_retention_sweep,
        "drafts": retention.drafts_retention_sweep,
        "letters": retention.letters_retention_sweep,
        "people": retention.persons_retention_sweep,
    }
    done = {}
    for name, sweep in parts.items():
        started = time.perf_counter()
        count = sweep(now=now)
        done[name] = (count, time.perf_counter() - started)
    return done


def run(scale: float, template: str | None) -> int:
    with _setup.throwaway_database("bench-retention-", template=template) as connection:
        if connection.vendor != "postgresql":
            print("bench_retention needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        from certificates.models import Certificate
        from dashboard.scale_seed import Sizes, seed_scale
        from portal.audit import audit_verify
        from portal.retention import years_before

        if not template:
            full = Sizes()
            sizes = Sizes(
                **{
                    f.name: max(
                        34 if f.name == "agencies" else 1, int(getattr(full, f.name) * scale)
                    )
                    for f in fields(Sizes)
                }
            )
            started = time.perf_counter()
            seed_scale(sizes, log=lambda line: None)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"seeded {vars(sizes)} in {time.perf_counter() - started:.0f} s", flush=True)
        n_certificates = Certificate.objects.count()
        print(
            f"{n_certificates:,} certificates; PORTAL_RETENTION_BATCH "
            f"{settings.PORTAL_RETENTION_BATCH}; load average {load()}",
            flush=True,
        )

        now = timezone.now()
        later = years_before(moment=now, years=-13) + timedelta(days=1)
        timings = []
        for label, moment in (
            ("tonight", now),
            ("13 years on, first run", later),
            ("13 years on, second run", later),
        ):
            done = _sweep(moment)
            elapsed = sum(seconds for _count, seconds in done.values())
            timings.append(elapsed)
            parts = ", ".join(f"{k} {n:,} in {t:.1f} s" for k, (n, t) in done.items())
            print(f"{label}: {elapsed:.1f} s ({parts}); load average {load()}", flush=True)

        verified = audit_verify()
        print(f"audit_verify: {'OK' if verified.ok else 'BROKEN'}, {verified.message}")
        worst = max(timings)
        at_goal_size = n_certificates >= GOAL_CERTIFICATES
        verdict = (
            ("goal met" if worst <= GOAL_SECONDS else "goal NOT met")
            if at_goal_size
            else f"not decided (scale {n_certificates / GOAL_CERTIFICATES:g}: run with --scale 1)"
        )
        print(
            f"goal: ≤ {GOAL_SECONDS:.0f} s at {GOAL_CERTIFICATES:,} certificates; "
            f"worst run {worst:.1f} s at {n_certificates:,}: {verdict}"
        )
        if not verified.ok:
            return 1
        return 1 if at_goal_size and worst > GOAL_SECONDS else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="the national dataset's sizes times this"
    )
    parser.add_argument("--from-template", help="copy this seeded dataset instead of seeding")
    args = parser.parse_args()
    _setup.configure()
    return run(args.scale, args.from_template)


if __name__ == "__main__":
    sys.exit(main())
