"""Revoking certificates in a batch, or an organisation's certificate, waits for a second CA
operator (docs/approvals.md, "Revoking certificates in a batch or an organisation's
certificate"; docs/bulk.md). Both ways of revoking several certificates at once are held to
the same rules: a bulk revocation job from the register (`bulk.services.bulk_job_create`) and
a revocation registered on a competent authority's letter
(`certificates.services.certificate_revocation_register`), each for `REVOKE_BATCH` (more than
the rule's count) and `REVOKE_ORGANIZATION` (an organisation's certificate among them).

The requester approves under no account and through no door; a rejected or expired request
revokes nothing; an approved one runs once (two operators at the same moment, a run delivered
twice); `ApprovalRule` rows, national or an organisation's, decide whether a second person is
needed."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval, ApprovalRule
from approvals.services import approval_approve, approval_run
from bulk.choices import ItemStatus, JobStatus
from bulk.services import bulk_job_create, bulk_job_run, bulk_jobs_sweep
from certificates.choices import CertStatus, RevocationReason, RevocationRequester
from certificates.models import Certificate, CertificateEvent
from certificates.services import certificate_revocation_register
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories as f
from tests.api.calls import api_as
from tests.approvals.rules import (
    approve_and_run,
    assert_cannot_approve,
    expire,
    race_approvals,
    reject,
    twin_of,
)
from tests.bulk.world import certificates_of, organization_certificate, second_ca_operator
from tests.certificates.pdf_tools import minimal_pdf

KEY = RevocationReason.KEY_COMPROMISE
BATCH, ORGANIZATION = ApprovalAction.REVOKE_BATCH, ApprovalAction.REVOKE_ORGANIZATION
ACTIONS = [BATCH, ORGANIZATION]


# --- the two ways, behind one face ------------------------------------------------------------


@dataclass
class Bulk:
    """A bulk revocation job over the register filtered to one agency."""

    name = "bulk"

    def ask(self, cast, agency, by=None):
        return bulk_job_create(
            register="certificates", query=f"agency={agency.pk}", action="revoke",
            params={"reason": KEY}, reason="Sở giải thể theo quyết định 12/QĐ",
            by=by or cast.ca_operator,
        )  # fmt: skip

    def approval(self, job) -> Approval | None:
        job.refresh_from_db()
        return job.approval

    def finish(self, job) -> None:
        """What follows an approved run: the worker, delivered twice."""
        bulk_job_run(job_id=job.pk)
        bulk_job_run(job_id=job.pk)

    def assert_not_carried_out(self, job) -> None:
        bulk_job_run(job_id=job.pk)  # a stray delivery of the worker does nothing
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELLED
        assert job.items.exclude(status=ItemStatus.PENDING).count() == 0
        assert not AuditEvent.objects.filter(action="bulk_job.queue", object_id=str(job.pk))

    def assert_carried_out_once(self, job, cast) -> None:
        job.refresh_from_db()
        assert (job.status, job.done_count) == (JobStatus.DONE, job.total)
        assert (
            AuditEvent.objects.filter(action="bulk_job.queue", object_id=str(job.pk)).count() == 1
        )

    def assert_at_once(self, job) -> None:
        assert job.approval is None and job.status == JobStatus.QUEUED
        self.finish(job)


def _registration(
    certificates, by, *, requester=RevocationRequester.AUTHORITY,
    authority="Công an tỉnh Lai Châu", number="12/CSKT",
):  # fmt: skip
    """A revocation of `certificates` registered by `by` on a letter numbered `number`."""
    return certificate_revocation_register(
        certificates=certificates, requester=requester, authority_name=authority,
        letter_number=number, letter_date=timezone.localdate(), reason=KEY,
        letter=minimal_pdf(f"Cong van so {number}"), by=by,
    )  # fmt: skip


@dataclass
class Registered:
    """A revocation registered on a competent authority's letter, naming every certificate of
    the agency."""

    name = "registered"

    def ask(self, cast, agency, by=None):
        return _registration(
            list(Certificate.objects.filter(agency=agency).order_by("pk")), by or cast.ca_operator
        )

    def approval(self, registered) -> Approval | None:
        registered.refresh_from_db()
        return registered.approval

    def finish(self, registered) -> None:
        """The approval's run revokes: nothing follows."""

    def assert_not_carried_out(self, registered) -> None:
        registered.refresh_from_db()
        assert registered.revoked_at is None

    def assert_carried_out_once(self, registered, cast) -> None:
        registered.refresh_from_db()
        assert registered.revoked_at is not None
        carried = AuditEvent.objects.filter(
            action="certificate.revocation_register", object_id=str(registered.pk)
        )
        assert carried.count() == 2  # the request, then the revocation, once
        assert carried.order_by("seq").last().actor_id == cast.ca_operator.pk

    def assert_at_once(self, registered) -> None:
        assert registered.approval is None and registered.revoked_at is not None


WAYS = [pytest.param(Bulk(), id="bulk"), pytest.param(Registered(), id="registered")]


def _certificates(cast, action, agency=None, *, issuer=None, batch=60):
    """What needs `action`'s approval under the default rules, in `agency` (agency A): 60
    people's certificates (above 50), or two people's and the agency's own seal."""
    agency = agency or cast.agency_a
    if action == BATCH:
        certificates_of(agency, batch, issuer=issuer)
    else:
        certificates_of(agency, 2, issuer=issuer)
        organization_certificate(agency, issuer=issuer)
    return agency


def _revoked() -> int:
    return Certificate.objects.filter(status=CertStatus.REVOKED).count()


def _assert_each_revoked_once(agency, requester) -> None:
    """Every certificate of `agency` revoked, once, as the requester."""
    ids = list(Certificate.objects.filter(agency=agency).values_list("pk", flat=True))
    assert Certificate.objects.filter(pk__in=ids, status=CertStatus.REVOKED).count() == len(ids)
    events = CertificateEvent.objects.filter(certificate_id__in=ids, kind="revoked")
    assert events.count() == len(ids)
    assert set(events.values_list("actor_id", flat=True)) == {requester.pk}


def _rule(action, organization=None, **fields) -> ApprovalRule:
    return ApprovalRule.objects.create(action=action, organization=organization, **fields)


# --- the requester never approves -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_the_request_waits_for_the_action_the_selection_needs(cast, ca, way, action):
    agency = _certificates(cast, action, issuer=ca.issuing)
    handle = way.ask(cast, agency)
    approval = way.approval(handle)
    assert approval is not None and approval.action == action
    assert approval.status == ApprovalStatus.PENDING
    assert approval.requested_by == cast.ca_operator
    if action == BATCH:
        assert approval.count == 60
    assert _revoked() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_the_requester_cannot_approve_anywhere_nor_under_a_second_account(cast, ca, way, action):
    handle = way.ask(cast, _certificates(cast, action, issuer=ca.issuing))
    approval = way.approval(handle)
    assert_cannot_approve(approval, cast.ca_operator)  # the service, the page, the API

    twin = twin_of(cast.ca_operator, "ca_operator_twin")  # the account's e-mail
    f.MembershipFactory(user=twin, role="ca_operator", organization=cast.ca_org)
    assert_cannot_approve(approval, twin)

    # a second account whose person's official e-mail is the requester's
    other = second_ca_operator(cast, "ca_operator_official")
    f.PersonFactory(user=other, organization=cast.ca_org, official_email=cast.ca_operator.email)
    assert_cannot_approve(approval, other)

    way.finish(handle)  # a stray worker delivery carries out nothing either
    assert _revoked() == 0
    assert way.approval(handle).status == ApprovalStatus.PENDING


# --- a rejected or expired request changes nothing ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_a_rejected_request_revokes_nothing(cast, ca, way, action):
    handle = way.ask(cast, _certificates(cast, action, issuer=ca.issuing))
    reject(way.approval(handle), second_ca_operator(cast))
    assert bulk_jobs_sweep() == 0  # a bulk job was cancelled by the rejection itself
    way.assert_not_carried_out(handle)
    assert _revoked() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_an_expired_request_revokes_nothing_and_cannot_be_approved(cast, ca, way, action):
    handle = way.ask(cast, _certificates(cast, action, issuer=ca.issuing))
    approval = way.approval(handle)
    expire(approval)
    with pytest.raises(DomainError):
        approval_approve(approval=approval, by=second_ca_operator(cast))
    approval_run(approval_id=approval.pk)  # a stray delivery: nothing to run
    assert bulk_jobs_sweep() == 0  # a bulk job was cancelled by the expiry itself
    way.assert_not_carried_out(handle)
    assert _revoked() == 0


# --- an approved request runs once --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_an_approved_request_revokes_once_as_the_requester(cast, ca, way, action):
    agency = _certificates(cast, action, issuer=ca.issuing)
    handle = way.ask(cast, agency)
    approve_and_run(way.approval(handle), second_ca_operator(cast))  # its run delivered twice
    way.finish(handle)
    way.assert_carried_out_once(handle, cast)
    _assert_each_revoked_once(agency, cast.ca_operator)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_two_ca_operators_approving_at_once_revoke_once(cast, ca, way, action):
    agency = _certificates(cast, action, issuer=ca.issuing)
    handle = way.ask(cast, agency)
    approvers = [second_ca_operator(cast, "ca_operator_2"), second_ca_operator(cast, "ca_op_3")]
    race_approvals(way.approval(handle), approvers)
    way.finish(handle)
    way.assert_carried_out_once(handle, cast)
    _assert_each_revoked_once(agency, cast.ca_operator)


# --- rules ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_a_rule_raising_the_threshold_lets_one_operator_revoke_sixty(cast, ca, way):
    _rule(BATCH, above=1000)
    agency = _certificates(cast, BATCH, issuer=ca.issuing)
    handle = way.ask(cast, agency)
    way.assert_at_once(handle)
    assert not Approval.objects.exists()
    assert _revoked() == 60


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_a_provinces_rule_raising_the_threshold_is_honoured_there_only(cast, ca, way):
    _rule(BATCH, above=50)  # the national rule, as the default
    _rule(BATCH, organization=cast.province_1, above=1000)
    agency_a = _certificates(cast, BATCH, issuer=ca.issuing)
    way.assert_at_once(way.ask(cast, agency_a))  # under province 1
    assert _revoked() == 60

    agency_c = _certificates(cast, BATCH, cast.agency_c, issuer=ca.issuing)
    approval = way.approval(way.ask(cast, agency_c))  # province 2: the national rule
    assert approval is not None and approval.action == BATCH
    assert _revoked() == 60


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_an_agencys_stricter_rule_is_honoured_over_the_national_one(cast, ca, way):
    _rule(BATCH, above=1000)
    _rule(BATCH, organization=cast.agency_a, above=10)
    agency = _certificates(cast, BATCH, issuer=ca.issuing, batch=20)
    approval = way.approval(way.ask(cast, agency))
    assert approval is not None and approval.action == BATCH and approval.count == 20
    assert _revoked() == 0


@pytest.mark.django_db
def test_adding_another_provinces_certificates_does_not_lift_a_stricter_rule(cast, ca):
    """A bulk job over agencies under different rules follows the strictest: 20 of agency A
    (whose rule asks above 10) and 1 of agency C (the national rule, above 1000) wait."""
    _rule(BATCH, above=1000)
    _rule(BATCH, organization=cast.agency_a, above=10)
    _certificates(cast, BATCH, issuer=ca.issuing, batch=20)
    certificates_of(cast.agency_c, 1, issuer=ca.issuing)
    job = bulk_job_create(
        register="certificates", query="", action="revoke", params={"reason": KEY},
        reason="Rà soát", by=cast.ca_operator,
    )  # fmt: skip
    assert job.total == 21 and job.status == JobStatus.WAITING_APPROVAL
    assert job.approval.action == BATCH


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_a_provinces_rule_lifting_the_organisation_approval_is_honoured(cast, ca, way):
    _rule(ORGANIZATION, organization=cast.province_1, required=False)
    agency = _certificates(cast, ORGANIZATION, issuer=ca.issuing)
    way.assert_at_once(way.ask(cast, agency))
    assert _revoked() == 3

    agency_c = _certificates(cast, ORGANIZATION, cast.agency_c, issuer=ca.issuing)
    approval = way.approval(way.ask(cast, agency_c))  # province 2: always, the default
    assert approval is not None and approval.action == ORGANIZATION


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_an_agencys_rule_requiring_the_organisation_approval_is_honoured(cast, ca, way):
    _rule(ORGANIZATION, required=False)  # nationally, one CA operator may
    _rule(ORGANIZATION, organization=cast.agency_a, required=True)
    agency = _certificates(cast, ORGANIZATION, issuer=ca.issuing)
    approval = way.approval(way.ask(cast, agency))
    assert approval is not None and approval.action == ORGANIZATION
    assert _revoked() == 0

    agency_c = _certificates(cast, ORGANIZATION, cast.agency_c, issuer=ca.issuing)
    way.assert_at_once(way.ask(cast, agency_c))
    assert _revoked() == 3


@pytest.mark.django_db
def test_the_api_preview_says_what_the_job_would_wait_for_under_the_rules(cast, ca):
    """`approval_needed` in the bulk API's preview is the job's own decision: the same
    selection waits by default and not under a province's rule raising the threshold."""
    _certificates(cast, BATCH, issuer=ca.issuing)
    ask = {"query": f"agency={cast.agency_a.pk}", "action": "revoke", "reason": "Rà soát"}

    def preview():
        answer = api_as(cast.ca_operator).post("/api/v1/hang-loat/", ask, format="json")
        assert answer.status_code == 200, answer.json()
        assert answer.json()["count"] == 60
        return answer.json()["approval_needed"]

    assert preview() is True
    _rule(BATCH, organization=cast.province_1, above=1000)
    assert preview() is False


# --- how long a request waits -------------------------------------------------------------------


def _waits_hours(approval: Approval) -> float:
    return (approval.expires_at - approval.requested_at).total_seconds() / 3600


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("way", WAYS)
def test_an_agencys_rule_sets_how_long_a_revocation_request_waits(cast, ca, way, action):
    """The request stands at no organisation (CA operators alone see it, as only they see the
    registration or the job), yet the rule of its certificates' agency sets its wait, here and
    nowhere else."""
    _rule(action, organization=cast.agency_a, expires_hours=5)
    agency_a = _certificates(cast, action, issuer=ca.issuing)
    approval = way.approval(way.ask(cast, agency_a))
    assert approval.action == action
    assert _waits_hours(approval) == pytest.approx(5, abs=0.01)
    assert approval.organization is None
    assert not Approval.objects.visible_to(cast.clerk_a).filter(pk=approval.pk).exists()

    agency_c = _certificates(cast, action, cast.agency_c, issuer=ca.issuing)
    other = way.approval(way.ask(cast, agency_c))
    assert _waits_hours(other) == pytest.approx(72, abs=0.01)  # the default elsewhere


@pytest.mark.django_db
@pytest.mark.parametrize("way", WAYS)
def test_a_provinces_rule_sets_the_wait_of_its_agencies_revocations(cast, ca, way):
    _rule(BATCH, organization=cast.province_1, expires_hours=10)
    agency_a = _certificates(cast, BATCH, issuer=ca.issuing)
    approval = way.approval(way.ask(cast, agency_a))
    assert _waits_hours(approval) == pytest.approx(10, abs=0.01)


def _register(cast, certificates):
    registered = _registration(
        certificates, cast.ca_operator, requester=RevocationRequester.CA, authority="",
        number="07/CA",
    )  # fmt: skip
    return Registered().approval(registered)


@pytest.mark.django_db
def test_of_several_agencies_asking_the_shortest_wait_applies(cast, ca):
    """Seals of agencies A (its rule: 30 h) and B (12 h), and of agency C, whose rule lets one
    CA operator revoke its seal: B's rule, the shortest of those that ask for the approval."""
    _rule(ORGANIZATION, organization=cast.agency_a, expires_hours=30)
    _rule(ORGANIZATION, organization=cast.agency_b, expires_hours=12)
    _rule(ORGANIZATION, organization=cast.agency_c, required=False, expires_hours=1)
    agencies = (cast.agency_a, cast.agency_b, cast.agency_c)
    seals = [organization_certificate(a, issuer=ca.issuing) for a in agencies]
    approval = _register(cast, seals)
    assert approval.action == ORGANIZATION
    assert _waits_hours(approval) == pytest.approx(12, abs=0.01)


@pytest.mark.django_db
def test_a_batch_follows_the_rule_of_the_agency_that_asked_not_the_national_one(cast, ca):
    """20 certificates of agency A (its rule: above 10, 6 h) with one of agency C (the national
    rule: above 1000): the request exists by A's rule, and waits as A's rule says."""
    _rule(BATCH, above=1000)
    _rule(BATCH, organization=cast.agency_a, above=10, expires_hours=6)
    _certificates(cast, BATCH, issuer=ca.issuing, batch=20)
    certificates_of(cast.agency_c, 1, issuer=ca.issuing)
    approval = _register(cast, list(Certificate.objects.order_by("pk")))
    assert approval.action == BATCH and approval.count == 21
    assert _waits_hours(approval) == pytest.approx(6, abs=0.01)
