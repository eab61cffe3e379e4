"""The letters a merger drafts when it is applied (docs/domain.md §6.5, docs/architecture.md
§4.8): the Mẫu 04 changes and Mẫu 05 revocations of the planned actions and the Mẫu 01/02 new
issues, grouped by agency and form, prefilled, every rule checked on every row, awaiting the
head's signature; a constant number of queries per letter. Called inside the application's
transaction (`orgmerge.services.apply`)."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from agencies.choices import Role
from agencies.models import Organization, Person
from certificates.choices import SubjectKind
from certificates.models import Certificate
from orgmerge.choices import ActionKind, MergerCase
from orgmerge.models import MergerPlan
from requests_app.choices import ChangeField, FormKind
from requests_app.services.drafting import (
    contact_from_person,
    issue_row_from_organization,
    issue_row_from_person,
)
from requests_app.services.prepared import cert_request_prepare


def _contacts(agency_ids) -> dict[int, dict]:
    """Section 1 of each agency's letters: its first clerk's record (one query)."""
    clerks = (
        Person.objects.identified()
        .filter(
            user__memberships__organization_id__in=list(agency_ids),
            user__memberships__role=Role.AGENCY_CLERK,
        )
        .annotate(clerk_of=F("user__memberships__organization_id"))
        .order_by("pk")
    )
    contacts: dict[int, dict] = {}
    for clerk in clerks:
        contacts.setdefault(clerk.clerk_of, contact_from_person(clerk))
    return contacts


def draft_letters(plan: MergerPlan, target: Organization, by) -> list[dict]:
    """The Mẫu 04 (for the Sở KH&CN) and Mẫu 05 (for the CA) letters, one per agency and
    form, awaiting the head's signature."""
    return draft_grouped_letters(plan, _letter_rows(plan, target), by)


# What a certificate row needs of the certificate: the rules' fields (requests_app.rules)
# and what `_change` names it by; everything else stays unloaded.
_CERTIFICATE_FIELDS = (
    "id",
    "serial",
    "status",
    "not_after",
    "renewal_count",
    "subject_kind",
    "agency_id",
    "subject_organization_id",
    "person_id",
)


def _letter_rows(plan: MergerPlan, target: Organization) -> dict[tuple[int, str], list[dict]]:
    """The rows of the Mẫu 04 and Mẫu 05 letters, grouped by (agency, form) in the order of
    the plan's actions; the certificates as they are after the moves, read in one query."""
    source_ids = set(plan.sources.values_list("organization_id", flat=True))
    wanted = plan.actions.filter(kind__in=[ActionKind.CHANGE_INFO, ActionKind.REVOKE])
    certificates = {
        certificate.pk: certificate
        for certificate in Certificate.objects.filter(pk__in=wanted.values("certificate_id"))
        .only(*_CERTIFICATE_FIELDS)
        .annotate(
            unit_name=F("person__organization__name"),
            own_name=Coalesce("subject_organization__name", "agency__name"),
        )
    }
    groups: dict[tuple[int, str], list[dict]] = {}
    for kind, certificate_id, reason in wanted.order_by("pk").values_list(
        "kind", "certificate_id", "reason"
    ):
        certificate = certificates[certificate_id]
        if kind == ActionKind.REVOKE:
            data = {"certificate": certificate, "revoke_reason": reason}
            form = FormKind.REVOKE
        else:
            change = _change(plan, certificate, source_ids, target)
            data = {"certificate": certificate, "change_info": True, **change}
            form = FormKind.RENEW_CHANGE
        groups.setdefault((certificate.agency_id, form), []).append(data)
    return groups


def draft_grouped_letters(
    plan: MergerPlan, groups: dict[tuple[int, str], list[dict]], by, *, subject: str = ""
) -> list[dict]:
    """One letter per (agency, form) of `groups`, its rows the group's plain row data
    (`requests_app.services.prepared`: every rule on every row, a failing row left out and
    reported); the summary of each letter. A constant number of queries per letter."""
    agencies = Organization.objects.in_bulk({agency_id for agency_id, _form in groups})
    contacts = _contacts(agencies)
    letters = []
    for (agency_id, form), rows in sorted(groups.items()):
        agency = agencies[agency_id]
        letter, problems = cert_request_prepare(
            agency=agency,
            form=form,
            rows_data=rows,
            by=by,
            subject=subject or _("Đề nghị theo phương án sáp nhập số %(n)d") % {"n": plan.pk},
            contact=contacts.get(agency_id, {}),
        )
        letters.append(
            {
                "letter": letter.pk if letter else None,
                "form": form,
                "agency": agency.name,
                "rows": len(rows) - len(problems),
                "left_out": {
                    _row_label(rows[i]): [m for ms in e.values() for m in ms]
                    for i, e in problems.items()
                },
            }
        )
    return letters


def _row_label(data: dict) -> str:
    """How the summary names a row left out: its certificate's serial, else its subject."""
    if data.get("certificate") is not None:
        return str(data["certificate"].serial)
    if data.get("old_serial"):
        return str(data["old_serial"])
    return str(data.get("full_name") or data.get("organization_name") or data.get("national_id"))


def _change(plan, certificate, source_ids, target) -> dict:
    """What a Mẫu 04 row changes: the kept organisation certificate takes the target's name;
    everyone else's subject is rebuilt from the tree (the CA does so on every change of
    information), named by the unit the subscriber now belongs to (`unit_name`, `own_name`:
    annotated by `_letter_rows`)."""
    merging = plan.case in (MergerCase.NEW_NAME, MergerCase.KEEPS_NAME)
    if merging and certificate.subject_organization_id in source_ids:
        return {"change_field": ChangeField.COMMON_NAME, "new_value": target.name}
    if certificate.person_id is not None:
        return {"change_field": ChangeField.UNIT, "new_value": certificate.unit_name}
    return {"change_field": ChangeField.UNIT, "new_value": certificate.own_name}


def draft_new_issues(plan: MergerPlan, by) -> list[dict]:
    """docs/domain.md §6.5: a certificate with too few days left for a change of information
    is issued anew: one Mẫu 01 (people) and one Mẫu 02 (organisations) per agency the
    certificate belongs to after the moves, for the CA through the Sở KH&CN, prefilled from
    the person's or the organisation's record (with the old serial on a person's row),
    awaiting the head's signature. A device or service certificate is listed, not drafted."""
    certificate_ids = plan.actions.filter(kind=ActionKind.NEW_ISSUE).values("certificate_id")
    certificates = (
        Certificate.objects.filter(pk__in=certificate_ids)
        .select_related(
            "agency",
            "person__organization__province",
            "subject_organization__province",
            "agency__province",
        )
        .order_by("pk")
    )
    groups: dict[tuple[int, str], list[dict]] = {}
    undrafted = []
    for certificate in certificates:
        if certificate.person is not None:
            form = FormKind.ISSUE_PERSON
            data = issue_row_from_person(certificate.person) | {"old_serial": certificate.serial}
        elif certificate.subject_kind == SubjectKind.ORGANIZATION:
            form = FormKind.ISSUE_ORGANIZATION
            data = issue_row_from_organization(
                certificate.subject_organization or certificate.agency
            )
        else:
            undrafted.append(certificate.serial)
            continue
        groups.setdefault((certificate.agency_id, form), []).append(data)
    letters = draft_grouped_letters(
        plan,
        groups,
        by,
        subject=_("Đề nghị cấp mới theo phương án sáp nhập số %(n)d") % {"n": plan.pk},
    )
    if undrafted:
        letters.append(
            {
                "letter": None,
                "form": FormKind.ISSUE_DEVICE,
                "agency": "—",
                "rows": 0,
                "left_out": {
                    serial: [_("Cấp mới cho thiết bị, dịch vụ: cơ quan tự lập Mẫu 03.")]
                    for serial in undrafted
                },
            }
        )
    return letters
