"""The edXML messages moved from the letters' app to the exchange with their table
(`requests_app.0036`, `exchange.0001`; docs/architecture.md §1): a seeded database migrated
back keeps every row under the letters' app, with the lifecycle's moves under their former
names, and migrated forward again keeps them under the exchange, no row copied or lost. The
schema is brought back to the newest migrations whatever happens."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from exchange.models import EdxmlMessage
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, Transition
from tests import factories as f
from tests.migrating import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("exchange", None), ("requests_app", "0035_letter_remote_signing")]
AFTER = [("exchange", "0001_initial")]


def _seed():
    """A letter received as a package: its message and the move that received it."""
    letter = CertRequest.objects.create(
        form=FormKind.ISSUE_PERSON,
        agency=f.AgencyFactory(),
        status=Status.FORWARDED,
        created_by=f.UserFactory(),
    )
    Transition.objects.create(
        cert_request=letter,
        from_status=Status.ISSUED,
        to_status=Status.FORWARDED,
        action="exchange_receive",
    )
    Transition.objects.create(
        cert_request=letter, from_status=Status.DRAFT, to_status=Status.DRAFT, action="submit"
    )
    message = EdxmlMessage.objects.create(
        letter=letter,
        direction=EdxmlMessage.Direction.RECEIVED,
        kind=EdxmlMessage.Kind.LETTER,
        document_id="000.00.00.H01,123/CV",
        parties={"sender": "000.00.00.H01"},
        sha256="a" * 64,
        pdf_sha256="b" * 64,
    )
    ContentType.objects.get_or_create(app_label="exchange", model="edxmlmessage")
    return letter, message


def _actions(apps, letter) -> list[str]:
    moves = apps.get_model("requests_app", "Transition").objects.filter(cert_request=letter.pk)
    return list(moves.order_by("pk").values_list("action", flat=True))


def _content_types() -> set[str]:
    return set(ContentType.objects.filter(model="edxmlmessage").values_list("app_label", flat=True))


def test_the_messages_move_back_and_forth_with_their_table_and_the_moves_their_names(
    newest_schema_after,
):
    letter, message = _seed()

    apps = migrate_to(BEFORE)
    kept = apps.get_model("requests_app", "EdxmlMessage").objects.get()
    assert (kept.pk, kept.letter_id, kept.document_id, kept.pdf_sha256) == (
        message.pk,
        letter.pk,
        message.document_id,
        message.pdf_sha256,
    )
    assert _actions(apps, letter) == ["edxml_receive", "submit"]
    assert _content_types() == {"requests_app"}

    apps = migrate_to(AFTER)
    moved = apps.get_model("exchange", "EdxmlMessage").objects.get()
    assert (moved.pk, moved.letter_id, moved.parties) == (message.pk, letter.pk, message.parties)
    assert _actions(apps, letter) == ["exchange_receive", "submit"]
    assert _content_types() == {"exchange"}
    # one table all along, named as before the move
    assert EdxmlMessage._meta.db_table in connection.introspection.table_names()
