"""The numbers of the registration table, read in the database: what an agency holds now
(to prefill its table) and the totals of a set of registrations (a province's, the nation's).
Both are one grouped query whatever the number of rows (docs/domain.md §11)."""

from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.db.models.functions import ExtractYear

from certificates.choices import SubjectKind
from certificates.models import Certificate
from demand.choices import Category
from demand.models import RegistrationItem
from devices.choices import DeviceKind

Table = dict[str, dict[int, int]]

# A certificate's line of the table: its subject, and for a person the key storage.
CATEGORY_OF_CERTIFICATE = Case(
    When(subject_kind=SubjectKind.ORGANIZATION, then=Value(Category.ORG_USB)),
    When(subject_kind=SubjectKind.DEVICE_SERVICE, then=Value(Category.DEVICE_SERVICE)),
    When(device__kind=DeviceKind.SIM_PKI, then=Value(Category.PERSON_SIM)),
    When(device__kind=DeviceKind.SD_SECURE, then=Value(Category.PERSON_SD)),
    default=Value(Category.PERSON_USB),
    output_field=CharField(),
)


def empty_table(years) -> Table:
    return {category: dict.fromkeys(years, 0) for category in Category.values}


def held_by(agency) -> tuple[dict[str, int], Table]:
    """The agency's valid certificates per line (and its units'), and how many of them
    expire in each year: those will need a new certificate that year."""
    rows = (
        Certificate.objects.valid()
        .filter(Q(agency=agency))
        .annotate(line=CATEGORY_OF_CERTIFICATE, year=ExtractYear("not_after"))
        .order_by()
        .values("line", "year")
        .annotate(n=Count("pk"))
    )
    held = dict.fromkeys(Category.values, 0)
    expiring: Table = {category: {} for category in Category.values}
    for row in rows:
        held[row["line"]] += row["n"]
        expiring[row["line"]][row["year"]] = row["n"]
    return held, expiring


def prefill(agency, years) -> tuple[Table, dict[str, str]]:
    """The table as first shown to an agency: each year, the certificates it holds that
    expire that year; each line's note, how many it holds now."""
    held, expiring = held_by(agency)
    table = empty_table(years)
    for category, per_year in expiring.items():
        for year in years:
            table[category][year] = per_year.get(year, 0)
    notes = {
        category: (f"Hiện có {count} chứng thư số còn hiệu lực" if count else "")
        for category, count in held.items()
    }
    return table, notes


def totals(registrations, years) -> Table:
    """The sum of the given registrations' tables, per line and year."""
    table = empty_table(years)
    rows = (
        RegistrationItem.objects.filter(registration__in=registrations)
        .order_by()
        .values("category", "year")
        .annotate(n=Sum("quantity"))
    )
    for row in rows:
        if row["category"] in table and row["year"] in table[row["category"]]:
            table[row["category"]][row["year"]] = row["n"] or 0
    return table


def table_rows(table: Table, years, notes: dict | None = None) -> list[dict]:
    """The table in the seed's order, each line with its numbers per year and its total."""
    notes = notes or {}
    rows = []
    for category in Category:
        values = [int(table.get(category.value, {}).get(year, 0)) for year in years]
        rows.append(
            {
                "category": category.value,
                "label": str(category.label),
                "values": values,
                "total": sum(values),
                "note": notes.get(category.value, ""),
            }
        )
    return rows


def to_json(table: Table) -> dict:
    return {c: {str(y): n for y, n in per.items()} for c, per in table.items()}
