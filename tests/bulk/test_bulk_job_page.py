"""A job is read by its requester and by every CA operator (docs/bulk.md, "Flow" 5), but
each item's object is named and linked only for a reader who may see it (`visible_to` of the
job's register); for another it is "ngoài phạm vi của bạn" with the item's outcome, and no
message (it may name the object's agency). One query decides it for the whole page, on the
page and in the API alike."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bulk.services import bulk_job_create, bulk_job_run
from requests_app.choices import Status
from tests.bulk.world import certificates_of, letters_of
from tests.factories import PersonFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
OUTSIDE = "ngoài phạm vi của bạn"
ROW = re.compile(r'<tr data-status="(\w+)" data-object="(\d*)">(.*?)</tr>', re.S)


def _remind_letters(cast):
    """The provincial officer's reminder for letters of agency A: two issued, which only the
    province sees, and one forwarded to the CA, which the CA operators see too."""
    issued = letters_of(cast.agency_a, 2, status=Status.ISSUED, by=cast.clerk_a)
    forwarded = letters_of(
        cast.agency_a, 1, status=Status.FORWARDED, by=cast.clerk_a, forwarded_at=timezone.now()
    )
    job = bulk_job_create(
        register="letters", query="", action="remind", params={}, reason="Văn bản tồn đọng",
        by=cast.officer_1,
    )  # fmt: skip
    bulk_job_run(job_id=job.pk)
    return job, issued, forwarded


def _rows(client, job) -> list[tuple[str, str, str]]:
    page = client.get(reverse("bulk:detail", args=[job.pk]))
    assert page.status_code == 200
    return ROW.findall(page.content.decode())


def test_a_ca_operator_reads_the_job_but_only_the_letters_forwarded_to_the_ca(cast, client):
    job, issued, forwarded = _remind_letters(cast)
    assert job.total == 3
    sign_in(client, cast.ca_operator)

    rows = _rows(client, job)

    assert len(rows) == 3
    linked = [row for row in rows if row[1]]
    assert [row[1] for row in linked] == [str(forwarded[0])]
    assert f'href="{reverse("requests_app:detail", args=[forwarded[0]])}"' in linked[0][2]
    hidden = [row for row in rows if not row[1]]
    assert [row[0] for row in hidden] == ["done", "done"]  # their outcome is shown
    for _status, _object, cells in hidden:
        assert OUTSIDE in cells and "Đã thực hiện" in cells
        assert "href=" not in cells and "/STC-CKS" not in cells
        assert cast.agency_a.name not in cells  # neither its agency nor the reminder's note
    page = client.get(reverse("bulk:detail", args=[job.pk])).content.decode()
    for pk in issued:
        assert reverse("requests_app:detail", args=[pk]) not in page


def test_its_requester_reads_every_letter_of_the_job(cast, client):
    job, issued, forwarded = _remind_letters(cast)
    sign_in(client, cast.officer_1)
    rows = _rows(client, job)
    assert sorted(int(row[1]) for row in rows) == sorted(issued + forwarded)
    assert all(OUTSIDE not in cells for _status, _object, cells in rows)


def test_the_api_says_which_items_are_out_of_scope_without_their_key_or_message(cast, client):
    job, issued, forwarded = _remind_letters(cast)
    url = f"/api/v1/hang-loat/{job.pk}/doi-tuong/"
    sign_in(client, cast.ca_operator)
    results = client.get(url).json()["results"]
    items = {item["object_id"]: item for item in results if item["in_scope"]}
    assert set(items) == set(forwarded) and items[forwarded[0]]["message"]
    hidden = [item for item in results if not item["in_scope"]]
    assert len(hidden) == len(issued)
    for item in hidden:
        assert (item["object_id"], item["message"], item["status"]) == (None, "", "done")
    client.logout()
    sign_in(client, cast.officer_1)
    assert all(item["in_scope"] for item in client.get(url).json()["results"])


def test_the_scope_of_a_page_costs_the_same_queries_for_3_or_30_items(cast, client):
    small, _issued, _forwarded = _remind_letters(cast)
    letters_of(cast.agency_a, 27, status=Status.ISSUED, by=cast.clerk_a)
    large = bulk_job_create(
        register="letters", query="", action="remind", params={}, reason="Văn bản tồn đọng",
        by=cast.officer_1,
    )  # fmt: skip
    assert large.total == 30  # and the page shows them all (50 a page)
    sign_in(client, cast.ca_operator)
    client.get(reverse("bulk:detail", args=[small.pk]))  # the session warmed up
    counts = []
    for job in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("bulk:detail", args=[job.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_clerks_draft_letters_are_not_named_to_a_ca_operator(cast, client):
    """A CA operator reads a clerk's drafting job, but not the agency's drafts it made."""
    certificates_of(cast.agency_a, 3)
    job = bulk_job_create(
        register="certificates", query="", action="draft_renew", params={},
        reason="Rà soát chứng thư", by=cast.clerk_a,
    )  # fmt: skip
    bulk_job_run(job_id=job.pk)
    (made,) = job.letters.all()
    draft_url = reverse("requests_app:detail", args=[made.cert_request_id])
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("bulk:detail", args=[job.pk])).content.decode()
    assert draft_url in page and f"Văn bản #{made.cert_request_id}" in page
    client.logout()
    sign_in(client, cast.ca_operator)
    page = client.get(reverse("bulk:detail", args=[job.pk])).content.decode()
    letters = re.search(r'<ul id="bulk-letters">(.*?)</ul>', page, re.S).group(1)
    assert letters == f"<li>1 văn bản {OUTSIDE}</li>"
    assert draft_url not in page


def test_the_job_page_names_its_requester_as_the_header_does(cast, client):
    # An account whose own name differs from its person's: the person's name everywhere.
    officer = cast.officer_1
    officer.first_name, officer.last_name = "Tên", "Tài Khoản"
    officer.save(update_fields=["first_name", "last_name"])
    PersonFactory(full_name="Tên Người Thật", organization=cast.office_1, user=officer)
    job, _issued, _forwarded = _remind_letters(cast)
    sign_in(client, officer)

    page = client.get(reverse("bulk:detail", args=[job.pk])).content.decode()

    header = re.search(r'<a class="user-name"[^>]*>([^<]*)</a>', page).group(1)
    requester = re.search(r"<dt>Người đề nghị</dt><dd>([^,<]*),", page).group(1)
    assert header == requester == "Tên Người Thật"
    assert "Tên Tài Khoản" not in page
