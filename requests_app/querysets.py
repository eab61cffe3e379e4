from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps  # this app's models, looked up: the models module imports this one
from django.conf import settings
from django.db.models import (
    PROTECT,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from agencies.access import scope_for
from agencies.choices import Role
from agencies.querysets import NOTHING, ScopedQuerySet, agency_code_q, is_whole_code
from certificates.querysets import key_at_risk
from portal.documents import DocumentKind
from portal.field_crypto import blind_index
from portal.lib.folding import folded_contains
from portal.lib.subqueries import count_of
from portal.models import worked_on
from requests_app import extensions
from requests_app.choices import (
    CA_FORMS,
    LETTER_IMPORT,
    PROVINCE_PROCESSED_FORMS,
    TERMINAL_STATUSES,
    FormKind,
    Outcome,
    Status,
)
from requests_app.decisions import DECISION_ORDER, decision_of


def _protecting(model, letter):
    """The records of every app that protect a letter from deletion (a foreign key to it
    with on_delete=PROTECT), each filtered to `letter` (an OuterRef): found by the model's
    own relations, so an app above the letters needs no word here."""
    return [
        relation.related_model._base_manager.filter(**{relation.field.name: letter})
        for relation in model._meta.related_objects
        if relation.on_delete is PROTECT
    ]


def stall_cutoff(now=None):
    """The moment before which a letter in process without progress is stalled."""
    now = now or timezone.now()
    return now - timedelta(seconds=settings.PORTAL_PROCESSING_STALL_SECONDS)


class CertRequestQuerySet(ScopedQuerySet):
    """`visible_to`: clerks and heads see their agency's letters; provincial officers the
    letters their province has received (never an agency's unsent drafts); CA operators the
    letters forwarded to the CA; subscribers none."""

    def ca_sees(self):
        return Q(forwarded_at__isnull=False, form__in=CA_FORMS)

    def with_row_figures(self):
        """Each letter with its rows' counters as `row_groups` (rows per outcome and decision,
        `RequestRowQuerySet.row_figures` reads them), in the letter's own query: the letter's
        page costs no counters query (docs/scale.md §12.6)."""
        RequestRow = apps.get_model("requests_app", "RequestRow")

        return self.annotate(row_groups=_row_groups_subquery(RequestRow.objects.all()))

    def with_page_facts(self):
        """What the floors above show on the letter's page, read in the letter's own query
        (requests_app/extensions.py)."""
        return self.annotate(**extensions.page_facts())

    def with_creator_name(self):
        """Each letter with its drafter's person's full name as `creator_person_name` (None
        for an account without a person), read by a subquery on the person's account key. A
        join there (`select_related("created_by__person")`) let PostgreSQL plan, under the
        LIMIT of a lookup by key, a pass over the whole people's registry: with hardly any of
        a million people holding an account, it takes the join for one that matches many
        (docs/scale.md §12.6)."""
        Person = apps.get_model("agencies", "Person")

        person = Person.objects.filter(user=OuterRef("created_by")).values("full_name")[:1]
        return self.annotate(creator_person_name=Subquery(person))

    def search(self, text: str):
        """Letters matching `text` by number, subject, agency name or official code (`code_q`),
        or having a row with that person or organisation name (accents optional), ID number or
        certificate/device serial (docs/architecture.md, "Search that forgives accents"). One
        EXISTS: no duplicates."""
        text = text.strip()
        if not text:
            return self
        by_code = agency_code_q(text)
        if by_code is not None and is_whole_code(text):
            return self.filter(by_code)  # a whole code is no name, number nor serial
        serial = text.upper()
        rows = self.model._meta.get_field("rows").related_model.objects.filter(
            folded_contains("full_name", text)
            | folded_contains("organization_name", text)
            | Q(national_id_index=blind_index(text))
            # Mẫu 04/05 rows name their subscriber through the certificate, Mẫu 06 through
            # the device's holder.
            | folded_contains("certificate__common_name", text)
            | Q(certificate__person__national_id_index=blind_index(text))
            | folded_contains("device__holder__full_name", text)
            | Q(old_serial=serial)
            | Q(certificate__serial=serial)
            | Q(device__serial=serial)
            | Q(result_certificate__serial=serial)
            | Q(result_device__serial=serial),
            cert_request=OuterRef("pk"),
        )
        return self.filter(
            Q(number__icontains=text)
            | folded_contains("subject", text)
            | folded_contains("agency__name", text)
            | (by_code or NOTHING)
            | Exists(rows)
        )

    def province_sees(self):
        return Q(issued_on__isnull=False)

    def last_contact_of(self, agency, *, recovery: bool):
        """The agency's own most recent letter with a section 1 contact, from which a new
        letter's section 1 is prefilled: a Mẫu 06 from the last Mẫu 06 (its section 1 names
        the person assisting the recovery), any other form from the last non-06 letter."""
        same_kind = Q(form=FormKind.RECOVER_DEVICE)
        return (
            self.filter(agency=agency)
            .filter(same_kind if recovery else ~same_kind)
            .exclude(contact_name="")
            .order_by("-created_at", "-pk")
            .first()
        )

    def province_inbox(self, user):
        """Letters waiting for the user's provincial office, earliest deadline first."""
        scope = scope_for(user)
        waiting = Q(status=Status.PROVINCE_REVIEW) | Q(
            status__in=[Status.IN_PROCESS, Status.PROCESSING_FAILED],
            form__in=PROVINCE_PROCESSED_FORMS,
            forwarded_at__isnull=True,
        )
        return (
            self.visible_to(user)
            .filter(agency__province_id__in=scope.province_ids)
            .filter(waiting)
            .order_by("due_on", "pk")
        )

    def ca_queue(self, user):
        """Letters forwarded to the CA and not finished, earliest deadline first."""
        if not scope_for(user).has_role(Role.CA_OPERATOR):
            return self.none()
        return (
            self.visible_to(user)
            .filter(
                form__in=CA_FORMS,
                forwarded_at__isnull=False,
                status__in=[Status.FORWARDED, Status.IN_PROCESS, Status.PROCESSING_FAILED],
            )
            .order_by("due_on", "pk")
        )

    def with_row_count(self):
        """`row_count`: the letter's rows, counted for the letters read only (a page)."""
        return self.annotate(row_count=_row_count())

    def with_queue_figures(self, *, renewals: bool = True):
        """Row counts and the renewal-at-risk flag of a queue's letters (no N+1), letters at
        risk first, then by deadline. `renewals=False` for a queue that holds no Mẫu 04 (the
        CA's: CA_FORMS): nothing in it can be at risk, and without the flag its letters come
        in the deadline index's order instead of a sort of the whole queue (§12.6).

        docs/domain.md §5: a certificate that drops under the renewal threshold while its renewal
        waits can no longer be renewed, so those letters go first and the agency must be told.

        At national scale (docs/scale.md §12.6) neither figure may read every row and
        certificate: the flag looks only at the renewal rows of this queue's own Mẫu 04
        letters (the subquery repeats the queue's filter, so its rows are found through the
        letters' index), and the counts are correlated subqueries that PostgreSQL evaluates
        after the page's LIMIT, for the letters shown, instead of a GROUP BY over every
        letter of the queue joined to its rows.
        """
        RequestRow = apps.get_model("requests_app", "RequestRow")

        letters = self.select_related("agency", "agency__province").annotate(
            rows_total=_row_count(),
            rows_pending=_row_count(Outcome.PENDING),
            rows_accepted=_row_count(Outcome.ACCEPTED),
            rows_refused=_row_count(Outcome.REFUSED),
            # for `is_stalled` on each letter shown, without a query per letter
            work_leased=worked_on(self.model),
        )
        by_deadline = (F("due_on").asc(nulls_last=True), "pk")
        if not renewals:
            return letters.annotate(renewal_at_risk=Value(False)).order_by(*by_deadline)
        limit = timezone.now() + timedelta(days=settings.PORTAL_RENEW_MIN_DAYS_LEFT)
        renewal_letters = self.filter(form=FormKind.RENEW_CHANGE).order_by().values("pk")
        at_risk = RequestRow.objects.filter(
            cert_request__in=renewal_letters,
            renew=True,
            outcome__in=[Outcome.PENDING, Outcome.ACCEPTED],
            certificate__not_after__lt=limit,
        ).values("cert_request_id")
        return letters.annotate(
            renewal_at_risk=ExpressionWrapper(Q(pk__in=at_risk), output_field=BooleanField())
        ).order_by("-renewal_at_risk", *by_deadline)

    def waiting(self):
        """Letters on someone's desk: neither drafts nor finished."""
        return self.exclude(status__in=[Status.DRAFT, *TERMINAL_STATUSES])

    def overdue(self):
        return self.waiting().filter(due_on__lt=timezone.localdate())

    def with_overdue(self):
        """Annotate `is_overdue` (as `overdue()` decides) from each letter's own columns: an
        EXISTS on `overdue()` made PostgreSQL hash every overdue letter of the country for a
        page of 25 (23 of the CA's list's 35 ms at 1M, docs/scale.md §12.7)."""
        overdue = ~Q(status__in=[Status.DRAFT, *TERMINAL_STATUSES]) & Q(
            due_on__lt=timezone.localdate()
        )
        return self.annotate(is_overdue=Case(When(overdue, then=Value(True)), default=Value(False)))

    def stalled(self, now=None):
        """Letters in process whose processing showed no sign of life within the stall window
        and that no worker holds a live lease on: their task was lost with a worker or a
        broker. A letter a worker is carrying out is never stalled, however long its chunk
        takes (docs/processing.md §4.5)."""
        return self.filter(
            Q(progress_at__lt=stall_cutoff(now)) | Q(progress_at__isnull=True),
            ~worked_on(self.model, now),
            status=Status.IN_PROCESS,
        )

    def never_submitted(self, *, changed_before):
        """Drafts that never left the drafter's desk (no transition, and no record that
        protects the letter from deletion: a document, a message of the exchange) and
        unchanged since `changed_before`: every edit of the contact or the rows bumps
        `updated_at` (`workflow.acting`); an Excel import still under way, or one that added
        rows since, counts as a change too. The retention sweep deletes them
        (docs/retention.md)."""
        Transition = apps.get_model("requests_app", "Transition")
        LetterImport = apps.get_model("requests_app", "LetterImport")
        ImportJob = apps.get_model("portal", "ImportJob")
        letter = OuterRef("pk")
        importing = ImportJob.objects.unfinished().filter(kind=LETTER_IMPORT, target_id=letter)
        imported = LetterImport.objects.filter(cert_request=letter, created_at__gte=changed_before)
        traces = [
            Transition.objects.filter(cert_request=letter),
            *_protecting(self.model, letter),
            importing,
            imported,
        ]
        drafts = self.filter(status=Status.DRAFT, updated_at__lt=changed_before)
        # one exclude each: exclude(a, b) would keep out only a letter with both
        for trace in traces:
            drafts = drafts.exclude(Exists(trace))
        return drafts

    def closed_before(self, cutoff):
        """Letters closed (done, refused, cancelled) before `cutoff` whose personal fields are
        still there (docs/retention.md)."""
        return self.alias(closed=Coalesce("done_at", "updated_at")).filter(
            status__in=TERMINAL_STATUSES, closed__lt=cutoff, deidentified_at__isnull=True
        )

    def with_progress(self):
        """Annotate `rows_to_process` and `rows_processed`, derived from the rows' outcomes,
        so the figure can never exceed the rows it counts."""
        processed = [Outcome.DONE, Outcome.FAILED]
        return self.annotate(
            rows_to_process=Count(
                "rows", filter=Q(rows__outcome__in=[Outcome.ACCEPTED, *processed])
            ),
            rows_processed=Count("rows", filter=Q(rows__outcome__in=processed)),
        )


def _row_count(*outcomes: str):
    """The number of the letter's rows (of these outcomes), as a correlated subquery."""
    RequestRow = apps.get_model("requests_app", "RequestRow")

    rows = RequestRow.objects.all()
    if outcomes:
        rows = rows.filter(outcome__in=outcomes)
    return count_of(rows, "cert_request")


@dataclass(frozen=True)
class RowFigures:
    """A letter's row counters: `outcomes` (outcome → n) and `decisions` ((state, label, n)
    in `DECISION_ORDER`, what the letter's page shows above its rows)."""

    outcomes: dict
    decisions: list

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def of(self, *outcomes: str) -> int:
        return sum(self.outcomes.get(outcome, 0) for outcome in outcomes)

    @classmethod
    def read(cls, letter, groups: dict | None) -> "RowFigures":
        """From `row_groups` (`CertRequestQuerySet.with_row_figures`; None: no rows)."""
        counts: dict[str, list] = {}
        outcomes: dict[str, int] = {}
        for key, (outcome, decided, by_province) in _ROW_GROUPS.items():
            n = (groups or {}).get(key) or 0
            if not n:
                continue
            outcomes[outcome] = outcomes.get(outcome, 0) + n
            state, label = decision_of(letter, outcome, decided=decided, by_province=by_province)
            counts.setdefault(state, [label, 0])[1] += n
        order = {state: i for i, state in enumerate(DECISION_ORDER)}
        return cls(
            outcomes=outcomes,
            decisions=[
                (state, label, n)
                for state, (label, n) in sorted(counts.items(), key=lambda i: order.get(i[0], 99))
            ],
        )


# A letter's rows fall in these groups: each outcome, undecided, decided after the letter's
# forwarding (by the CA) or before it (by the Sở), keyed "<outcome>_<decided><early>".
_ROW_GROUPS = {
    f"{outcome.value}_{decided:d}{early:d}": (outcome.value, decided, early)
    for outcome in Outcome
    for decided, early in ((False, False), (True, False), (True, True))
}


def _row_groups_subquery(rows):
    """One row per letter: its `rows` counted in every group of `_ROW_GROUPS`, as a JSON
    object, for `CertRequestQuerySet.with_row_figures`."""
    decided = Q(decided_by__isnull=False, decided_at__isnull=False)
    early = decided & (
        Q(cert_request__forwarded_at__isnull=True)
        | Q(decided_at__lte=F("cert_request__forwarded_at"))
    )
    wanted = {(False, False): ~decided, (True, False): decided & ~early, (True, True): early}
    counts = {
        key: Count("pk", filter=Q(outcome=outcome) & wanted[decided_, early_])
        for key, (outcome, decided_, early_) in _ROW_GROUPS.items()
    }
    return Subquery(
        rows.filter(cert_request=OuterRef("pk"))
        .order_by()
        .values("cert_request")
        .annotate(groups=JSONObject(**counts))
        .values("groups"),
        output_field=JSONField(),
    )


class RequestRowQuerySet(ScopedQuerySet):
    """A row is seen with its letter."""

    scope_path = "cert_request__agency__path"
    scope_through = "cert_request"

    def kept_since(self, cutoff):
        """Rows of letters still open, or closed at or after `cutoff`: what keeps a person's
        retention period open (docs/retention.md)."""
        closed = Q(cert_request__status__in=TERMINAL_STATUSES) & (
            Q(cert_request__done_at__lt=cutoff)
            | Q(cert_request__done_at__isnull=True, cert_request__updated_at__lt=cutoff)
        )
        return self.exclude(closed)

    def open(self):
        return self.filter(is_open=True)

    def row_figures(self, letter) -> "RowFigures":
        """The counters of all `letter`'s rows (docs/scale.md §12.6): read with the
        letter when it was fetched `with_row_figures()` (once: the annotation is dropped, so a
        second call after a change reads them again), else in one query of their own."""
        if "row_groups" in letter.__dict__:
            return RowFigures.read(letter, letter.__dict__.pop("row_groups"))
        groups = (
            letter.__class__.objects.filter(pk=letter.pk)
            .annotate(row_groups=_row_groups_subquery(self))
            .values_list("row_groups", flat=True)
            .get()
        )
        return RowFigures.read(letter, groups)

    def with_key_at_risk(self):
        """Each row with `certificate_key_at_risk`: its certificate's device was reported
        lost and the revocation is on no CRL yet (docs/domain.md §3.8), in the same query."""
        return self.annotate(certificate_key_at_risk=key_at_risk("certificate__"))

    def with_registry(self):
        """With what a Mẫu 04–06 row shows of its certificate or device from the registry
        (`requests_app.columns.REGISTRY_COLUMNS`), in a fixed number of queries."""
        return self.select_related(
            "certificate__person",
            "certificate__subject_organization",
            "certificate__device",
            "device__holder__organization",
            "device__agency",
        ).prefetch_related("device__certificates")


class LetterDocumentQuerySet(QuerySet):
    def signed_for(self, cert_request):
        """The signed version of the number `cert_request` carries now (at most one,
        `letterdoc_one_per_issuance`); none for a letter without a number."""
        if not cert_request.number:
            return self.none()
        return self.filter(
            letter=cert_request, kind=DocumentKind.SIGNED, number=cert_request.number
        )

    def archive_due(self, *, before):
        """Signed versions whose long-term proofs must be extended: never archived, or whose
        newest document time-stamp's certificate ends before `before`."""
        return self.filter(kind=DocumentKind.SIGNED).filter(
            Q(archive_until__isnull=True) | Q(archive_until__lt=before)
        )

    def with_newest_check(self):
        """Each version with its newest signature check as `newest_check` (a dict, or None when
        never checked): the check's result and the names of who asked for it, read in the
        same query, so the letter page's signature panel costs no query of its own
        (docs/scale.md §12.6)."""
        LetterVerification = apps.get_model("requests_app", "LetterVerification")

        newest = (
            LetterVerification.objects.filter(document=OuterRef("pk"))
            .order_by("-checked_at", "-pk")
            .values(
                check=JSONObject(
                    ok="ok",
                    summary="summary",
                    summary_data="summary_data",
                    signatures="signatures",
                    checked_at="checked_at",
                    indication="indication",
                    sub_indication="sub_indication",
                    validated_at="validated_at",
                    report_signatures="report__signatures",
                    person_name="checked_by__person__full_name",
                    first_name="checked_by__first_name",
                    last_name="checked_by__last_name",
                    username="checked_by__username",
                )
            )[:1]
        )
        return self.annotate(newest_check=Subquery(newest, output_field=JSONField()))
