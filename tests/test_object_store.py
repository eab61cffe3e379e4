"""Documents and exports in an S3-compatible object store (config/storage.py, docs/deployment.md
"Object store"), against a real S3 server on loopback (moto's server mode, tests/s3_server.py):
the bytes are kept under their SHA-256 with a checksum the store verified, downloads are
short-lived pre-signed links handed out after the permission check, and a damaged object is
refused."""

import base64
import hashlib
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from config.storage import file_storages_from_env
from portal.documents import documents_to_store
from portal.export_jobs.service import export_jobs_sweep
from portal.lib.stored_files import ContentMismatch
from portal.models import ExportJob
from portal.tasks import export_job_build_task
from requests_app.choices import FormKind
from requests_app.models import LetterDocument
from requests_app.tasks import letter_document_render_task
from tests import factories as f
from tests.helpers import sign_in
from tests.requests_app.document_letters import issued_letter

pytestmark = pytest.mark.django_db


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the test's server
        return answer.read(), answer.headers  # names in any case


def rendered(cast) -> tuple:
    letter, _ = issued_letter(cast, FormKind.ISSUE_ORGANIZATION)
    return letter, LetterDocument.objects.get(pk=letter_document_render_task(letter.pk))


def test_a_rendered_letter_is_kept_in_the_bucket_under_its_verified_sha256(cast, s3_storages):
    letter, document = rendered(cast)
    key = f"documents/{document.sha256[:2]}/{document.sha256}.pdf"
    head = s3_storages.client().head_object(
        Bucket=s3_storages.bucket, Key=key, ChecksumMode="ENABLED"
    )
    assert head["ContentLength"] == document.size
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(document.sha256)).decode()
    fresh = LetterDocument.objects.defer("in_row").get(pk=document.pk)
    assert hashlib.sha256(fresh.content).hexdigest() == document.sha256  # from the bucket
    assert fresh.content.startswith(b"%PDF-")


def test_a_download_is_a_short_lived_link_given_only_within_the_letters_scope(
    cast, client, s3_storages
):
    letter, document = rendered(cast)
    url = reverse("requests_app:document", args=[letter.pk, document.version])

    sign_in(client, cast.clerk_b)
    assert client.get(url).status_code == 404  # out of scope: no link at all

    sign_in(client, cast.clerk_a)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    assert link.startswith(s3_storages.url)
    assert parse_qs(urlsplit(link).query)["X-Amz-Expires"] == ["60"]
    body, headers = fetch(link)
    assert body == document.content
    assert headers["Content-Disposition"] == f'attachment; filename="{document.download_name}"'
    assert headers["Content-Type"] == "application/pdf"
    # Unsigned, the same object is refused: the bucket is private.
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(link.split("?")[0])
    assert refused.value.code == 403


def test_a_damaged_object_is_refused_not_served(cast, s3_storages):
    _letter, document = rendered(cast)
    key = f"documents/{document.sha256[:2]}/{document.sha256}.pdf"
    s3_storages.client().put_object(Bucket=s3_storages.bucket, Key=key, Body=b"%PDF-1.7 other")
    with pytest.raises(ContentMismatch):
        LetterDocument.objects.defer("in_row").get(pk=document.pk).content  # noqa: B018


def test_rows_written_by_the_previous_version_are_read_then_copied_then_emptied(cast, s3_storages):
    _letter, document = rendered(cast)
    pdf = document.content
    s3_storages.client().delete_object(
        Bucket=s3_storages.bucket, Key=f"documents/{document.sha256[:2]}/{document.sha256}.pdf"
    )  # as a node of the previous version saves it: in the row only
    assert LetterDocument.objects.defer("in_row").get(pk=document.pk).content == pdf

    call_command("documents_to_store")
    assert bytes(LetterDocument.objects.get(pk=document.pk).in_row) == pdf  # still in the row
    call_command("documents_to_store", "--empty-rows")

    emptied = LetterDocument.objects.get(pk=document.pk)
    assert bytes(emptied.in_row) == b"" and emptied.content == pdf  # now from the bucket
    assert documents_to_store(LetterDocument) == 0  # again: nothing left to copy


def test_an_export_job_is_kept_in_the_bucket_and_downloaded_by_its_owner_only(
    cast, client, settings, s3_storages
):
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 1
    for n in range(3):
        f.DeviceFactory(agency=cast.agency_a, serial=f"VT00000S3{n}")
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("devices:list"), {"xuat": "xlsx"}).status_code == 302
    job = ExportJob.objects.get()
    assert export_job_build_task(job.pk) == "ready"
    job.refresh_from_db()
    objects = s3_storages.client().list_objects_v2(Bucket=s3_storages.bucket, Prefix="exports/")
    assert [o["Key"] for o in objects["Contents"]] == [f"exports/{job.stored_name}"]

    download = reverse("portal:export_download", args=[job.pk])
    sign_in(client, cast.clerk_b)
    assert client.get(download).status_code == 404
    sign_in(client, cast.clerk_a)
    response = client.get(download)
    assert response.status_code == 302
    body, _headers = fetch(response["Location"])
    assert body.startswith(b"PK") and len(body) == job.size

    # Expired: the sweep deletes its object.
    settings.PORTAL_EXPORT_KEEP_HOURS = 0
    assert export_jobs_sweep()["expired"] == 1
    objects = s3_storages.client().list_objects_v2(Bucket=s3_storages.bucket, Prefix="exports/")
    assert objects["KeyCount"] == 0


def test_download_links_name_the_public_address_when_one_is_set(
    cast, client, settings, monkeypatch, s3_storages
):
    # The same server under another name, as the proxy would publish it to browsers.
    public = s3_storages.url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv("PORTAL_S3_PUBLIC_URL", public)
    settings.STORAGES = {
        **settings.STORAGES,
        **file_storages_from_env(settings.MEDIA_ROOT, settings.PORTAL_EXPORT_DIR),
    }
    letter, document = rendered(cast)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:document", args=[letter.pk, document.version]))
    assert response.status_code == 302
    assert response["Location"].startswith(public + "/")
    body, _headers = fetch(response["Location"])
    assert body == document.content
