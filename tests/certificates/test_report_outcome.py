"""What the signing monitor records of a verified signature (`report_outcome`,
docs/monitoring.md): invalid unless intact and covering the whole document, expired from
the instant its certificate ends."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from certificates.choices import SigningOutcome
from certificates.services.monitoring import report_outcome

NOT_AFTER = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)


def report(**changed):
    fields = dict(
        intact=True, covers_document=True, revoked_before_signing=False, key_at_risk=False,
        certificate=SimpleNamespace(not_after=NOT_AFTER), signing_time=NOT_AFTER - timedelta(days=1),
        trusted=True,
    )  # fmt: skip
    return SimpleNamespace(**{**fields, **changed})


@pytest.mark.parametrize(
    ("intact", "covers", "outcome"),
    [
        (True, True, SigningOutcome.OK),
        (True, False, SigningOutcome.INVALID),
        (False, True, SigningOutcome.INVALID),
    ],
)
def test_a_signature_is_invalid_unless_intact_and_covering_the_document(intact, covers, outcome):
    assert report_outcome(report(intact=intact, covers_document=covers)) == outcome


@pytest.mark.parametrize(
    ("signed_at", "outcome"),
    [
        (NOT_AFTER - timedelta(microseconds=1), SigningOutcome.OK),
        (NOT_AFTER, SigningOutcome.EXPIRED),
    ],
)
def test_a_signature_made_from_the_certificates_last_instant_on_is_expired(signed_at, outcome):
    assert report_outcome(report(signing_time=signed_at)) == outcome
