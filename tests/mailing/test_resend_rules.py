"""Who may resend or mark a mail bounced, and what a resend does (docs/mail.md §4): only a
failed or bounced mail is sent again, its last error cleared; the command names its actor;
the admin's actions need the change permission."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from mailing.services import mail_resend, mail_send
from portal.models import AuditEvent
from tests.mailing.helpers import CA_ADDRESS, mails_of, page, signed_letter

pytestmark = pytest.mark.django_db


def test_a_sent_mail_is_not_sent_again_by_the_clerk(cast, smtp, client):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert mail_send(mail_id=mail.pk) == "sent"
    assert "data-mail-resend" not in page(client, cast.clerk_a, letter).content.decode()

    client.post(reverse("exchange:mail_resend", args=[letter.pk, mail.pk]))
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    assert not mail_resend(mail=mail, by=cast.clerk_a)
    assert not AuditEvent.objects.filter(action="outgoing_mail.resend").exists()
    assert len(smtp.received) == 1


def test_a_resend_clears_the_last_error(cast, smtp):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    smtp.handler.refuse_with = "550 5.7.1 Rejected"
    assert mail_send(mail_id=mail.pk) == "failed"
    assert mail_resend(mail=mail, by=cast.clerk_a)
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING and mail.last_error == ""


def test_the_bounce_command_names_its_actor(cast, smtp):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    mail_send(mail_id=mail.pk)
    call_command("mail_mark_bounced", mail.message_id, by=cast.admin.get_username())
    event = AuditEvent.objects.get(action="outgoing_mail.bounced")
    assert event.actor_id == cast.admin.pk


def test_the_admin_actions_need_the_change_permission(cast):
    model_admin = site._registry[OutgoingMail]
    viewer = cast.clerk_a
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_outgoingmail"))
    request = RequestFactory().get("/")
    request.user = type(viewer).objects.get(pk=viewer.pk)
    assert not {"resend", "mark_bounced"} & set(model_admin.get_actions(request))

    viewer.user_permissions.add(Permission.objects.get(codename="change_outgoingmail"))
    request.user = type(viewer).objects.get(pk=viewer.pk)
    assert {"resend", "mark_bounced"} <= set(model_admin.get_actions(request))


def test_the_clerk_is_offered_a_resend_only_for_a_failed_mail(cast, smtp, client):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert "data-mail-resend" not in page(client, cast.clerk_a, letter).content.decode()
    smtp.handler.refuse_with = "550 5.7.1 Rejected"
    mail_send(mail_id=mail.pk)
    assert "data-mail-resend" in page(client, cast.clerk_a, letter).content.decode()
