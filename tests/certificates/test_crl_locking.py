"""Publishing a CRL while a processing chunk holds the audit head must not deadlock.

A processing chunk holds the audit trail's head lock until it commits and, meanwhile, inserts
certificates that reference the issuing CA (a KEY SHARE lock on the CA row). The publisher
locks the CA row and then records its audit event. Had it locked the row FOR UPDATE, each
would wait for the other and PostgreSQL would kill one ("deadlock detected").

PostgreSQL only: SQLite has no row locks.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from certificates import services
from certificates.models import RevocationList
from portal.audit import audit_record
from tests import factories as f
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the lock-order tests")


def test_a_crl_published_while_a_chunk_holds_the_audit_head_does_not_deadlock(ca, cast):
    person = f.PersonFactory(organization=cast.agency_a)
    head_held = threading.Event()
    errors: list[BaseException] = []
    published_before = RevocationList.objects.filter(authority=ca.issuing).count()

    def chunk():
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.chunk")  # the head is now locked
                head_held.set()
                time.sleep(1.5)  # the publisher locks the CA row and waits for the head
                f.CertificateFactory(person=person, issuer=ca.issuing)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def publisher():
        try:
            head_held.wait(timeout=10)
            services.crl_publish(authority=ca.issuing, force=True)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=chunk), threading.Thread(target=publisher)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert RevocationList.objects.filter(authority=ca.issuing).count() == published_before + 1
