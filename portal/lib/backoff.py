"""The wait before an outbox tries again (the e-mail and webhook outboxes, docs/mail.md and
docs/webhooks.md): `base` seconds after the first failure, doubled at each one after, never
more than `most`."""

from datetime import timedelta


def doubling_backoff(attempt_in_round: int, *, base: int, most: int) -> timedelta:
    return timedelta(seconds=min(base * 2 ** max(attempt_in_round - 1, 0), most))
