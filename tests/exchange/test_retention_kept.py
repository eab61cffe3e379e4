"""The retention sweep deletes drafts that never left the drafter's desk
(`CertRequestQuerySet.never_submitted`, docs/retention.md), but not one that a record of
another app protects: the letters name no such app, the check finds them by their foreign
keys (`on_delete=PROTECT`). An exchange message is one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exchange.models import EdxmlMessage
from requests_app.models import CertRequest
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_old_draft_that_an_exchange_message_protects_is_not_taken_as_never_submitted(cast):
    now = timezone.now()
    bare, protected = f.letter_draft(cast), f.letter_draft(cast)
    CertRequest.objects.filter(pk__in=[bare.pk, protected.pk]).update(
        updated_at=now - timedelta(days=2)
    )
    EdxmlMessage.objects.create(
        letter=protected,
        direction=EdxmlMessage.Direction.RECEIVED,
        kind=EdxmlMessage.Kind.STATUS,
        document_id="000.00.00.H01,1/CV",
        status_code="03",
        sha256="c" * 64,
    )

    found = CertRequest.objects.never_submitted(changed_before=now - timedelta(days=1))

    assert list(found.values_list("pk", flat=True)) == [bare.pk]
