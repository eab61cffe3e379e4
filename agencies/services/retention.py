"""People minimised at the end of their retention period (docs/retention.md): the
personal fields replaced by neutral values in one UPDATE per batch, by the sweep of the app
that knows what of theirs is still kept (requests_app.services.retention)."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from agencies.models import Person
from portal.errors import DomainError
from portal.field_crypto import blind_index, encrypt
from portal.retention import DEIDENTIFY, Period, retention_batches, rows_update


def neutral_national_id(pk: int) -> str:
    """A neutral national ID a real one can never equal (12 characters, unique like the
    column, not digits only): "X" and the row's key."""
    return f"X{pk:011d}"


def person_neutral_values(*, now: datetime, ids: Iterable[int]) -> dict:
    """What minimising the people `ids` writes (for `portal.retention.rows_update`). The name,
    the position and the organisation stay: the letters, certificates and device records kept
    under the archives law name the person anyway; what identifies or reaches them beyond
    that goes (docs/retention.md). The neutral ID, one per row (a list in the order of `ids`),
    is encrypted and its blind index written with it, so the column holds no clear text and
    the old index no longer finds the person."""
    neutral = [neutral_national_id(pk) for pk in ids]
    return {
        "national_id": [encrypt(value) for value in neutral],
        "national_id_index": [blind_index(value) for value in neutral],
        "date_of_birth": None,
        "id_issue_date": None,
        "id_issue_place": "",
        "mobile": "",
        "official_email": "",
        "deidentified_at": now,
    }


def persons_minimise(
    persons: QuerySet, *, now: datetime, ids: list[int] | None = None
) -> list[int]:
    """Write the neutral values on `persons` (already locked by the caller) in one UPDATE;
    their keys (`ids`, when the caller has them already: the sweep's batch)."""
    if ids is None:
        ids = list(persons.order_by("pk").values_list("pk", flat=True))
    rows_update(Person, ids, person_neutral_values(now=now, ids=ids))
    return ids


def persons_deidentify(*, persons: QuerySet, period: Period, now: datetime) -> int:
    """Minimise `persons` (a queryset whose conditions say that their period passed,
    evaluated again as each batch is locked), by batches, each audited. How many."""
    return retention_batches(
        queryset=persons.identified(),
        action=DEIDENTIFY,
        period=period,
        now=now,
        apply=lambda batch, ids: persons_minimise(batch, now=now, ids=ids),
        scan_first=True,
    )


def person_minimised_error(person: Person) -> DomainError:
    """The refusal to give a person whose data was minimised new work (docs/retention.md)."""
    return DomainError(
        _(
            "Hồ sơ cá nhân “%(name)s” đã được giảm thiểu dữ liệu khi hết thời hạn lưu trữ, không "
            "dùng được cho đề nghị hay chứng thư mới: hãy nhập lại thông tin của cá nhân."
        )
        % {"name": person.full_name},
        code="person_minimised",
    )


def persons_lock_identified(*, person_ids: Iterable[int]) -> None:
    """Lock these people's rows until the end of the transaction and refuse (DomainError) if
    one was minimised: what a service does before it links a person to a new row or
    certificate. The lock (FOR NO KEY UPDATE, in key order) makes the retention sweep skip
    them, or makes this wait for a sweep that holds one and then see its mark, so a person is
    never minimised with a link written at the same moment (docs/retention.md §5)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    locked = Person.objects.select_for_update(no_key=True, of=("self",)).filter(pk__in=ids)
    for person in locked.order_by("pk").only("pk", "full_name", "deidentified_at"):
        if person.deidentified_at is not None:
            raise person_minimised_error(person)
