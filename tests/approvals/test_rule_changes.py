"""One administrator alone cannot switch four eyes off (docs/approvals.md, "Rules" and "One
open request per object"): changing a rule is itself an approval request that another
administrator approves, and an object an open request holds is not acted on by another path,
whatever the rule says by then — a bulk job or a registration on a certificate another
request is waiting for, a privileged role or a second factor's reset done at once while its
request waits."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.choices import Role
from agencies.models import Membership
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import Approval, ApprovalRule
from approvals.services import approval_approve, approval_needed, approval_run
from bulk.choices import JobStatus
from bulk.models import BulkJob
from bulk.services import bulk_job_create, bulk_job_run
from certificates.choices import CertStatus, RevocationReason, RevocationRequester
from certificates.models import Certificate
from certificates.services import certificate_revocation_register
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from tests import factories as f
from tests.approvals.admin_forms import reset_in_admin, tick_superuser
from tests.approvals.rules import assert_cannot_approve
from tests.bulk.world import certificates_of, organization_certificate, second_ca_operator
from tests.certificates.pdf_tools import minimal_pdf
from tests.helpers import sign_in

ORGANIZATION = ApprovalAction.REVOKE_ORGANIZATION
RULES = "/quan-tri/approvals/approvalrule/"


def _propose(admin, **fields):
    """The administrator saves a rule in the admin, with a reason."""
    data = {"required": "", "above": "0", "expires_hours": "72", "change_reason": "Thử nghiệm"}
    data.update(fields)
    return sign_in(Client(), admin).post(f"{RULES}add/", data, follow=True)


# --- a rule's change waits for another administrator ---------------------------------------


@pytest.mark.django_db
def test_an_administrator_lowering_a_rule_alone_changes_nothing_until_another_approves(
    cast, admin_2
):
    page = _propose(cast.admin, action=ORGANIZATION, change_reason="Thu hồi gấp theo chỉ đạo")
    assert "Quy tắc chỉ thay đổi khi một quản trị viên khác phê duyệt" in page.content.decode()
    assert not ApprovalRule.objects.exists()
    assert approval_needed(action=ORGANIZATION)  # still the default: always
    assert not AuditEvent.objects.filter(action__startswith="approval_rule.")
    approval = Approval.objects.get(action=ApprovalAction.RULE_CHANGE)
    assert approval.status == ApprovalStatus.PENDING
    assert approval.object_key == f"approval_rule:{ORGANIZATION}:-"
    assert "không cần người thứ hai" in approval.object_label
    # the other administrators are asked, the requester is not
    asked = Notification.objects.filter(kind="approval", subject=f"approval:{approval.pk}")
    assert set(asked.values_list("user", flat=True)) >= {admin_2.pk}
    assert not asked.filter(user=cast.admin).exists()

    assert_cannot_approve(approval, cast.admin)  # the service, the page, the API
    approval_run(approval_id=approval.pk)  # a stray delivery runs nothing
    assert approval_needed(action=ORGANIZATION)

    approval_approve(approval=approval, by=admin_2)
    approval_run(approval_id=approval.pk)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DONE, approval.outcome
    rule = ApprovalRule.objects.get()
    assert (rule.action, rule.organization, rule.required) == (ORGANIZATION, None, False)
    assert not approval_needed(action=ORGANIZATION)
    event = AuditEvent.objects.get(action="approval_rule.create")
    assert (event.actor, event.reason) == (cast.admin, "Thu hồi gấp theo chỉ đạo")
    assert (event.after["required"], event.after["approved_by"]) == (False, "admin_2")


@pytest.mark.django_db
def test_a_rule_deleted_in_the_admin_stays_until_another_approves(cast, admin_2):
    rule = ApprovalRule.objects.create(action=ORGANIZATION, required=True, expires_hours=24)
    client = sign_in(Client(), cast.admin)
    page = client.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}, follow=True)
    assert "Quy tắc chỉ thay đổi khi một quản trị viên khác phê duyệt" in page.content.decode()
    assert ApprovalRule.objects.filter(pk=rule.pk).exists()
    approval = Approval.objects.get(action=ApprovalAction.RULE_CHANGE)
    approval_approve(approval=approval, by=admin_2)
    approval_run(approval_id=approval.pk)
    assert not ApprovalRule.objects.exists()
    assert AuditEvent.objects.get(action="approval_rule.delete").actor == cast.admin


@pytest.mark.django_db
def test_a_rule_has_one_open_change_at_a_time(cast, admin_2):
    _propose(cast.admin, action=ORGANIZATION)
    page = _propose(admin_2, action=ORGANIZATION, required="on")
    assert "Đã có đề nghị phê duyệt #" in page.content.decode()
    assert Approval.objects.filter(action=ApprovalAction.RULE_CHANGE).count() == 1


@pytest.mark.django_db
def test_a_rule_for_a_rules_change_cannot_be_made(cast):
    page = _propose(cast.admin, action=ApprovalAction.RULE_CHANGE)
    assert "không phải là một trong các lựa chọn" in page.content.decode() or (
        "is not one of the available choices" in page.content.decode()
    )
    assert not Approval.objects.exists() and not ApprovalRule.objects.exists()


# --- a certificate held by a pending request ----------------------------------------------


def _bulk(agency, by):
    return bulk_job_create(
        register="certificates", query=f"agency={agency.pk}", action="revoke",
        params={"reason": RevocationReason.KEY_COMPROMISE}, reason="Sở giải thể", by=by,
    )  # fmt: skip


def _register(certificates, by):
    return certificate_revocation_register(
        certificates=certificates, requester=RevocationRequester.AUTHORITY,
        authority_name="Công an tỉnh Lai Châu", letter_number="12/CSKT",
        letter_date=timezone.localdate(), reason=RevocationReason.KEY_COMPROMISE,
        letter=minimal_pdf("Cong van so 12"), by=by,
    )  # fmt: skip


@pytest.fixture
def held(cast, ca):
    """Agency A's seal and two people's certificates, in a bulk job waiting for a second CA
    operator; then the rule for organisations' certificates lowered (as if approved)."""
    certificates_of(cast.agency_a, 2, issuer=ca.issuing)
    seal = organization_certificate(cast.agency_a, issuer=ca.issuing)
    job = _bulk(cast.agency_a, cast.ca_operator)
    assert job.status == JobStatus.WAITING_APPROVAL and job.approval.action == ORGANIZATION
    ApprovalRule.objects.create(action=ORGANIZATION, required=False)
    return seal, job


@pytest.mark.django_db
@pytest.mark.parametrize("requester", ["the same", "another"])
def test_a_bulk_revocation_of_a_certificate_a_pending_request_holds_is_refused(
    cast, held, requester
):
    seal, job = held
    by = cast.ca_operator if requester == "the same" else second_ca_operator(cast)
    with pytest.raises(DomainError) as refused:
        _bulk(cast.agency_a, by)
    assert refused.value.code == "approval_open"
    assert f"đang chờ phê duyệt theo đề nghị #{job.approval_id}" in refused.value.message
    assert seal.serial in refused.value.message or "Chứng thư" in refused.value.message
    assert BulkJob.objects.count() == 1
    assert not Certificate.objects.filter(status=CertStatus.REVOKED).exists()


@pytest.mark.django_db
def test_a_registered_revocation_of_a_certificate_a_pending_request_holds_is_refused(cast, held):
    seal, job = held
    with pytest.raises(DomainError) as refused:
        _register([seal], second_ca_operator(cast))
    assert refused.value.code == "approval_open"
    seal.refresh_from_db()
    assert seal.status == CertStatus.VALID


@pytest.mark.django_db
def test_a_certificate_no_request_holds_is_revoked_at_once_by_the_lowered_rule(cast, ca, held):
    # the boundary: agency B's seal, in no request, goes under the lowered rule
    other = organization_certificate(cast.agency_b, issuer=ca.issuing)
    job = _bulk(cast.agency_b, cast.ca_operator)
    assert job.approval is None and job.status == JobStatus.QUEUED
    bulk_job_run(job_id=job.pk)
    other.refresh_from_db()
    assert other.status == CertStatus.REVOKED


@pytest.mark.django_db
def test_a_job_confirmed_before_a_registration_held_its_certificate_leaves_it(cast, ca):
    # a job queued at once (the rule lowered), then a registration waiting for its approval
    # on the same seal before the worker came: the job does not revoke what is held
    ApprovalRule.objects.create(action=ORGANIZATION, required=False)
    seal = organization_certificate(cast.agency_a, issuer=ca.issuing)
    job = _bulk(cast.agency_a, cast.ca_operator)
    assert job.status == JobStatus.QUEUED
    ApprovalRule.objects.filter(action=ORGANIZATION).update(required=True)
    registered = _register([seal], second_ca_operator(cast))
    assert registered.approval.status == ApprovalStatus.PENDING
    bulk_job_run(job_id=job.pk)
    seal.refresh_from_db()
    assert seal.status == CertStatus.VALID
    item = job.items.get(object_id=seal.pk)
    assert f"đề nghị #{registered.approval_id}" in item.message


# --- a role granted while its request waits ----------------------------------------------------


@pytest.mark.django_db
def test_a_role_granted_with_the_rule_lowered_while_its_request_waits_is_refused(cast, admin_2):
    newcomer = f.UserFactory(username="newcomer")
    add = reverse("admin:agencies_membership_add")
    data = {"user": newcomer.pk, "role": Role.PROVINCIAL_OFFICER, "organization": cast.office_1.pk}
    sign_in(Client(), cast.admin).post(add, {**data, "approval_reason": "Phân công"})
    approval = Approval.objects.get(action=ApprovalAction.ROLE_GRANT)
    ApprovalRule.objects.create(action=ApprovalAction.ROLE_GRANT, required=False)

    for admin in (cast.admin, admin_2):
        page = sign_in(Client(), admin).post(add, data, follow=True)
        assert f"đang chờ phê duyệt theo đề nghị #{approval.pk}" in page.content.decode()
        assert not Membership.objects.filter(user=newcomer, role=Role.PROVINCIAL_OFFICER)

    # the boundary: another user's grant, in no request, is saved at once under the rule
    other = f.UserFactory(username="other")
    sign_in(Client(), cast.admin).post(add, {**data, "user": other.pk})
    assert Membership.objects.filter(user=other, role=Role.PROVINCIAL_OFFICER).exists()


@pytest.mark.django_db
def test_the_superuser_flag_ticked_with_the_rule_lowered_while_its_request_waits_is_refused(
    cast, admin_2
):
    target = f.UserFactory(username="target", is_staff=True)
    tick_superuser(cast.admin, target)
    approval = Approval.objects.get(action=ApprovalAction.ROLE_GRANT)
    ApprovalRule.objects.create(action=ApprovalAction.ROLE_GRANT, required=False)
    page = tick_superuser(admin_2, target, reason="")
    assert f"đang chờ phê duyệt theo đề nghị #{approval.pk}" in page.content.decode()
    target.refresh_from_db()
    assert not target.is_superuser


@pytest.mark.django_db
def test_a_second_factor_reset_with_the_rule_lowered_while_its_request_waits_is_refused(
    cast, admin_2
):
    reset_in_admin(cast.admin, cast.officer_1)
    approval = Approval.objects.get(action=ApprovalAction.TWO_FACTOR_RESET)
    ApprovalRule.objects.create(action=ApprovalAction.TWO_FACTOR_RESET, required=False)
    other = f.UserFactory(username="other")
    devices = [
        TOTPDevice.objects.get(user=cast.officer_1).pk,
        TOTPDevice.objects.create(user=other, name="Điện thoại", confirmed=True).pk,
    ]
    page = sign_in(Client(), admin_2).post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "reset_two_factor", "_selected_action": devices},
        follow=True,
    )
    assert f"đang chờ phê duyệt theo đề nghị #{approval.pk}" in page.content.decode()
    assert TOTPDevice.objects.filter(user=cast.officer_1).exists()
    # the boundary: the other user, in no request, is reset at once under the lowered rule
    assert not TOTPDevice.objects.filter(user=other).exists()
