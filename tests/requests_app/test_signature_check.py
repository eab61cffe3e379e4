"""The letter page's signature panel reads the newest check as JSON from the versions' query
(`LetterDocumentQuerySet.with_newest_check`). PostgreSQL hands it over decoded, with the time
in UTC; SQLite hands the signatures over as text and the time without its zone (in UTC). Both
must read the same (docs/scale.md §12.6)."""

import json
from datetime import UTC, datetime

from requests_app.views.documents import SignatureCheck

SIGNATURES = [{"signer": "Lò Văn Bình", "intact": True}]
WHEN = datetime(2026, 11, 25, 6, 49, 12, 345000, tzinfo=UTC)
NAMES = {"person_name": None, "first_name": "Bình", "last_name": "Lò Văn", "username": "binh"}


def test_a_check_reads_the_same_from_postgresql_and_from_sqlite():
    from_postgresql = SignatureCheck.of(
        {
            "ok": True,
            "summary": "2 chữ ký hợp lệ",
            "signatures": SIGNATURES,
            "checked_at": "2026-11-25T06:49:12.345+00:00",
            **NAMES,
        }
    )
    from_sqlite = SignatureCheck.of(
        {
            "ok": 1,
            "summary": "2 chữ ký hợp lệ",
            "signatures": '[{"signer": "Lò Văn Bình", "intact": true}]',
            "checked_at": "2026-11-25 06:49:12.345000",
            **NAMES,
        }
    )
    assert from_postgresql == from_sqlite
    assert from_sqlite.ok is True
    assert from_sqlite.signatures == SIGNATURES
    assert from_sqlite.checked_at == WHEN
    assert from_sqlite.checked_by_name == "Bình Lò Văn"


def test_a_check_names_the_person_before_the_account():
    check = SignatureCheck.of(
        {
            "ok": False,
            "summary": "",
            "signatures": [],
            "checked_at": "2026-11-25T06:49:12+00:00",
            **{**NAMES, "person_name": "Lò Văn Bình"},
        }
    )
    assert check.checked_by_name == "Lò Văn Bình"
    assert check.ok is False


def test_the_validation_report_reads_the_same_from_postgresql_and_from_sqlite():
    report = [{"signer_name": "Lò Văn Bình", "indication": "INDETERMINATE",
               "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND", "foreign_root": ""}]  # fmt: skip
    common = {"ok": False, "summary": "", "signatures": [], **NAMES}
    from_postgresql = SignatureCheck.of(
        {
            **common,
            "checked_at": "2026-11-25T06:49:12.345+00:00",
            "indication": "INDETERMINATE",
            "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND",
            "validated_at": "2026-11-25T06:49:12.345+00:00",
            "report_signatures": report,
        }
    )
    from_sqlite = SignatureCheck.of(
        {
            **common,
            "checked_at": "2026-11-25 06:49:12.345000",
            "indication": "INDETERMINATE",
            "sub_indication": "NO_CERTIFICATE_CHAIN_FOUND",
            "validated_at": "2026-11-25 06:49:12.345000",
            "report_signatures": json.dumps(report),
        }
    )
    assert from_postgresql == from_sqlite
    assert from_sqlite.validated_at == WHEN and from_sqlite.outcome == "indeterminate"
    (signature,) = from_sqlite.report_signatures
    assert signature["text"] == "Chứng thư không chuỗi về CA gốc tin cậy"


def test_a_check_made_before_the_validation_report_has_none():
    check = SignatureCheck.of(
        {"ok": True, "summary": "", "signatures": [], "checked_at": "2026-11-25T06:49:12+00:00",
         "indication": "", "sub_indication": "", "validated_at": None, "report_signatures": None,
         **NAMES}
    )  # fmt: skip
    assert check.indication == "" and check.validated_at is None and check.report_signatures == []
