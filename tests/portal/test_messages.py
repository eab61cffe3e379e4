"""Messages as data (portal/lib/messages.py): a rule's message is plain text to the API and to
files, and carries its link on a page; a rule never writes HTML."""

import json
import pickle

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from portal.lib.messages import Message
from requests_app import services
from requests_app.choices import FormKind
from requests_app.exceptions import RowInvalid
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.letters import CONTACT, person_row

HOSTILE = '<script>alert("x")</script>'


def renewable(serial="54A1", who=HOSTILE) -> Message:
    return Message(
        "renewable_here",
        "{whose} holds {serial}",
        {"whose": who, "serial": serial},
        links={"serial": f"/chung-thu/{serial}/"},
    )


def test_as_text_a_message_is_its_plain_text_with_its_code_and_values():
    message = renewable()
    assert message == f"{HOSTILE} holds 54A1"
    assert (message.code, message.params["serial"]) == ("renewable_here", "54A1")
    assert json.loads(json.dumps({"detail": message})) == {"detail": f"{HOSTILE} holds 54A1"}


def test_on_a_page_its_linked_values_are_links_and_every_value_is_escaped():
    html = Template("{{ m }}").render(Context({"m": renewable()}))
    assert html == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; holds "
        '<a href="/chung-thu/54A1/">54A1</a>'
    )


def test_a_message_keeps_its_links_through_a_validation_error_a_join_and_pickle():
    joined = Message.joined(
        "rows", " ", [Message("row", "Row {n}: {m}", {"n": 1, "m": renewable()})]
    )
    assert '<a href="/chung-thu/54A1/">' in joined.__html__()
    assert '<a href="/chung-thu/54A1/">' in list(ValidationError(renewable()))[0].__html__()
    assert pickle.loads(pickle.dumps(joined)).__html__() == joined.__html__()  # noqa: S301


@pytest.mark.django_db
def test_the_renewable_rule_links_the_certificate_on_the_page_and_not_in_the_api(cast, client):
    person = f.PersonFactory(organization=cast.agency_a, national_id="012190001234")
    certificate = f.certificate_valid_for(cast, person=person, days_left=200)
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a, **CONTACT
    )
    row = person_row(national_id=person.national_id)
    with pytest.raises(RowInvalid) as refused:
        services.row_save(cert_request=letter, by=cast.clerk_a, data=row)
    message = refused.value.errors["national_id"][0]
    link = f'<a href="{reverse("certificates:detail", args=[certificate.serial])}">'
    assert message.code == "renewable_here" and link in message.__html__()

    sign_in(client, cast.clerk_a)
    rows = [{key: str(value) for key, value in row.items()}]
    response = client.post(
        f"/api/v1/van-ban/{letter.pk}/dong/", {"rows": rows}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    body = response.content.decode()
    assert certificate.serial in body and "<a " not in body and "href" not in body
