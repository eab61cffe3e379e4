"""People de-identified at the end of their retention period (docs/retention.md): the
personal fields replaced by neutral values in one UPDATE per batch, by the sweep of the app
that knows what of theirs is still kept (requests_app.services.retention)."""

from datetime import datetime

from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat, LPad

from portal.retention import Period, retention_update

# A neutral national ID a real one can never equal (12 characters, unique like the column,
# not digits only): "X" and the row's key.
NEUTRAL_NATIONAL_ID = Concat(
    Value("X"), LPad(Cast("pk", output_field=CharField()), 11, Value("0")), output_field=CharField()
)


def person_neutral_values(*, now: datetime) -> dict:
    """What de-identifying a person writes. The name, the position and the organisation stay:
    the letters, certificates and device records kept under the archives law name the person
    anyway; what identifies or reaches them beyond that goes (docs/retention.md)."""
    return {
        "national_id": NEUTRAL_NATIONAL_ID,
        "date_of_birth": None,
        "id_issue_date": None,
        "id_issue_place": "",
        "mobile": "",
        "official_email": "",
        "deidentified_at": now,
    }


def persons_deidentify(*, persons: QuerySet, period: Period, now: datetime) -> int:
    """De-identify `persons` (a queryset whose conditions say that their period passed,
    evaluated again as each batch is locked), by batches, each audited. How many."""
    return retention_update(
        queryset=persons.identified(),
        values=person_neutral_values(now=now),
        period=period,
        now=now,
    )
