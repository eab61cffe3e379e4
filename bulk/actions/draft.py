"""Drafting a Mẫu 05 (revocation) or Mẫu 04 (renewal) letter for the selected certificates,
the agency clerk's (docs/bulk.md, "Drafting letters"): only the certificates of the agencies
the clerk drafts for; one draft letter per such agency, tied to the job by a constraint
(`BulkLetter`: one per job and agency), so a job run again adds its rows to the same letter
and never drafts a second. Each batch appends its certificates' rows through
`requests_app.services.prepared.rows_append_prepared`: every rule a row typed by hand must
pass, a certificate that cannot be put on the letter (not valid, already on an open letter)
is the item's failure with the rule's own words. The letters stay drafts: the clerk fills
section 1, reviews and submits them to the head as any other."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Organization
from bulk.actions.base import ActionSpec, Outcome
from bulk.choices import BulkAction, Register
from bulk.models import BulkLetter
from bulk.selection import revocation_reasons
from certificates.models import Certificate
from portal.errors import DomainError
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from requests_app.services.drafting import cert_request_create
from requests_app.services.prepared import rows_append_prepared

FORMS = {BulkAction.DRAFT_REVOKE: FormKind.REVOKE, BulkAction.DRAFT_RENEW: FormKind.RENEW_CHANGE}
# What a row needs of its certificate: the rules' fields (requests_app.rules).
_FIELDS = ("id", "serial", "status", "not_after", "renewal_count", "subject_kind", "agency_id")


def clerk_paths(user) -> tuple[str, ...]:
    return scope_for(user).role_paths.get(Role.AGENCY_CLERK, ())


def _restrict(rows, user):
    """The certificates of the agencies (and their units) `user` drafts letters for."""
    paths = clerk_paths(user)
    if not paths:
        return rows.none()
    within = Q()
    for path in paths:
        within |= Q(agency__path__startswith=path)
    return rows.filter(within)


def _clean_revoke(rows, params: dict, by) -> dict:
    kinds = set(rows.values_list("subject_kind", flat=True).distinct())
    code = (params or {}).get("reason") or ""
    if code not in dict(revocation_reasons(kinds)):
        raise DomainError(
            _("Hãy chọn một căn cứ thu hồi áp dụng cho mọi chứng thư được chọn."),
            code="reason",
        )
    return {"reason": code}


def _clean_renew(rows, params: dict, by) -> dict:
    return {}


def _row(job, certificate) -> dict:
    if job.action == BulkAction.DRAFT_REVOKE:
        return {"certificate": certificate, "revoke_reason": job.params.get("reason", "")}
    return {"certificate": certificate, "renew": True}


def _letter_of(job, agency):
    """The job's draft for `agency`, drafted the first time (the job is locked: one batch at
    a time, and `bulk_letter_one_per_agency` the database's guarantee)."""
    made = BulkLetter.objects.filter(job=job, agency=agency).select_related("cert_request")
    made = made.first()
    if made is not None:
        return made.cert_request
    letter = cert_request_create(
        agency=agency,
        form=FORMS[job.action],
        by=job.requested_by,
        subject=_("Lập từ việc hàng loạt #%(pk)s") % {"pk": job.pk},
    )
    BulkLetter.objects.create(job=job, agency=agency, cert_request=letter)
    return letter


def _served(path: str, paths) -> str | None:
    """The deepest agency the clerk drafts for that `path` is within."""
    found = [p for p in paths if path.startswith(p)]
    return max(found, key=len) if found else None


def _run(job, ids: list[int]) -> Outcome:
    outcome = Outcome()
    paths = clerk_paths(job.requested_by)
    certificates = list(
        Certificate.objects.filter(pk__in=ids)
        .only(*_FIELDS, "agency__path")
        .select_related("agency")
        .order_by("pk")
    )
    groups: dict[str, list] = {}
    for certificate in certificates:
        served = _served(certificate.agency.path, paths)
        if served is None:
            outcome.failed(
                _("Chứng thư không thuộc cơ quan bạn là cán bộ đầu mối."), certificate.pk
            )
        else:
            groups.setdefault(served, []).append(certificate)
    for pk in set(ids) - {c.pk for c in certificates}:
        outcome.failed(_("Không còn chứng thư này trong sổ."), pk)
    agencies = {o.path: o for o in Organization.objects.filter(path__in=list(groups))}
    for path, members in sorted(groups.items()):
        try:
            letter = _letter_of(job, agencies[path])
            problems = rows_append_prepared(
                cert_request=letter, by=job.requested_by, rows_data=[_row(job, c) for c in members]
            )
        except DomainError as exc:
            for certificate in members:
                outcome.failed(exc.message, certificate.pk)
            continue
        put = _("Đã đưa vào dự thảo văn bản #%(pk)s (%(agency)s).") % {
            "pk": letter.pk,
            "agency": agencies[path].name,
        }
        for index, certificate in enumerate(members):
            if index in problems:
                words = " ".join(str(m) for ms in problems[index].values() for m in ms)
                outcome.failed(words, certificate.pk)
            else:
                outcome.done(put, certificate.pk)
    return outcome


def letters_of(job, user) -> list[tuple[str, str]]:
    """The job's drafted letters `user` may see (`visible_to`), as (label, url) for its page;
    those they may not (a CA operator reading a clerk's job: drafts are the agency's) are
    one line without a name or a link (docs/bulk.md, "Flow" 5)."""
    made = list(job.letters.select_related("agency").order_by("pk"))
    seen = set(
        CertRequest.objects.visible_to(user)
        .filter(pk__in=[m.cert_request_id for m in made])
        .values_list("pk", flat=True)
    )
    shown = [
        (
            _("Văn bản #%(pk)s — %(agency)s") % {"pk": m.cert_request_id, "agency": m.agency.name},
            reverse("requests_app:detail", args=[m.cert_request_id]),
        )
        for m in made
        if m.cert_request_id in seen
    ]
    if len(made) > len(shown):
        shown.append((_("%(n)s văn bản ngoài phạm vi của bạn") % {"n": len(made) - len(shown)}, ""))
    return shown


def _allowed(scope) -> bool:
    return bool(scope.role_paths.get(Role.AGENCY_CLERK))


DRAFT_REVOKE = ActionSpec(
    action=BulkAction.DRAFT_REVOKE,
    register=Register.CERTIFICATES,
    allowed=_allowed,
    clean_params=_clean_revoke,
    run_batch=_run,
    restrict=_restrict,
    describe=lambda params: str(dict(revocation_reasons(())).get(params.get("reason"), "")),
)
DRAFT_RENEW = ActionSpec(
    action=BulkAction.DRAFT_RENEW,
    register=Register.CERTIFICATES,
    allowed=_allowed,
    clean_params=_clean_renew,
    run_batch=_run,
    restrict=_restrict,
)
