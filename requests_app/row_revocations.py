"""Mẫu 05 rows carried out a chunk at a time (docs/processing.md §4.1–§4.2), with the outcome
the row-by-row path (`row_handlers._revoke`) gives each row.

The chunk's certificates are decided and revoked together by the CA's
`certificate_revoke_many` (one call per revocation reason the rows give, each locking its
certificates in one query and writing in a fixed number of statements): a row whose
certificate the CA refuses (no longer valid, not issued here, a reason that does not apply to
its kind of subscriber) fails alone with the CA's reason; the others are marked done in one
UPDATE, each naming its certificate and that certificate's device. No CRL is queued per chunk:
the letter queues one publication when it finishes (`processing._finish`).

Should the write fail anyway (a deadlock, a lock timeout), its savepoint is rolled back and
the rows go through the row-by-row path, where each fails or succeeds alone. A row that comes
back (a redelivered task, a retry) finds its certificate revoked and the CA refuses it: a
certificate is never revoked twice.
"""

from __future__ import annotations

import logging

from django.db import transaction

from certificates import services as ca
from certificates.exceptions import CertificateError
from portal.lib.bulk import update_rows
from requests_app.choices import Outcome
from requests_app.models import RequestRow
from requests_app.row_batches import BulkOutcome
from requests_app.row_handlers import revocation_note

logger = logging.getLogger(__name__)


def revoke_rows_in_bulk(rows: list[RequestRow], *, by) -> BulkOutcome:
    """Carry out locked, accepted Mẫu 05 rows of one letter (each with `cert_request` set)
    in the caller's transaction. Rows of `done` are saved done; `failed` rows are for the
    caller to mark failed; `left` rows for it to carry out one by one (a row without a
    certificate, or naming one an earlier row of the chunk names)."""
    outcome = BulkOutcome()
    if not rows:
        return outcome
    letter = rows[0].cert_request
    by_reason: dict[str, list[RequestRow]] = {}
    named: set[int] = set()
    for row in rows:
        if row.certificate_id is None or row.certificate_id in named:
            outcome.left.append(row)
            continue
        named.add(row.certificate_id)
        by_reason.setdefault(row.revoke_reason, []).append(row)
    try:
        with transaction.atomic():  # a database error here must not spoil the chunk
            failed, done = _revoke(by_reason, by=by, note=revocation_note(letter))
    except Exception:  # noqa: BLE001 - a deadlock, a lock timeout: each row on its own
        logger.warning(
            "revoking %d rows of letter %s together failed; processing them one by one",
            len(rows),
            letter.pk,
            exc_info=True,
        )
        for row in rows:
            row.outcome, row.is_open = Outcome.ACCEPTED, True
            row.result_certificate = row.result_device = None
        return BulkOutcome(left=list(rows))
    outcome.done, outcome.failed = done, failed
    return outcome


def _revoke(by_reason: dict[str, list[RequestRow]], *, by, note: str):
    failed: list[tuple[RequestRow, Exception]] = []
    done: list[RequestRow] = []
    for reason, group in by_reason.items():
        try:
            revoked = ca.certificate_revoke_many(
                certificate_ids=[row.certificate_id for row in group],
                by=by,
                reason=reason,
                note=note,
                publish_crl=False,
            )
        except CertificateError as refusal:  # a reason code no certificate is revoked for
            failed.extend((row, refusal) for row in group)
            continue
        for row in group:
            refusal = revoked.refused.get(row.certificate_id)
            if refusal is not None:
                failed.append((row, refusal))
                continue
            certificate = revoked.certificates[row.certificate_id]
            row.outcome, row.is_open = Outcome.DONE, False
            row.result_certificate = certificate
            row.result_device_id = certificate.device_id
            done.append(row)
    update_rows(
        RequestRow,
        ["outcome", "is_open", "result_certificate", "result_device"],
        [(row.pk, Outcome.DONE, False, row.result_certificate_id, row.result_device_id)
         for row in done],
    )  # fmt: skip
    return failed, done
