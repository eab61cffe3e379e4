"""Import jobs (docs/processing.md §4.7): the upload only inspects and saves, the parse task
is safe to deliver twice, the sweep picks up lost jobs and discards old ones, and a job is its
owner's alone. The parse tasks are the shipped ones, called here as the worker would."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from portal.imports import MAX_ATTEMPTS, import_jobs_sweep
from portal.models import ImportJob
from requests_app.tasks import letter_import_parse_task, letter_import_save_task
from tests import factories as f
from tests.factories import letter_draft, mau01_people_upload, xlsx_upload
from tests.helpers import HTMX, count_queries, excel_confirm, sign_in

pytestmark = pytest.mark.django_db
S = ImportJob.Status
# Queries of a job page (6 today), whatever the number of rows previewed.
BUDGET = 8


def _upload(client, cert_request, file):
    return client.post(reverse("requests_app:import", args=[cert_request.pk]), {"file": file})


@pytest.fixture
def queued_job(cast, client):
    """A clerk's upload of 3 people, saved and not parsed yet (no worker in this process)."""
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = _upload(client, cert_request, mau01_people_upload(3))
    job = ImportJob.objects.get()
    job.page = reverse("requests_app:import_job", args=[cert_request.pk, job.pk])
    job.letter = cert_request
    job.upload_response = response
    return job


def _age(job, **delta):
    ImportJob.objects.filter(pk=job.pk).update(
        touched_at=timezone.now() - timedelta(**delta),
        created_at=timezone.now() - timedelta(**delta),
    )


# --- the web request does not parse ------------------------------------------------------------
def test_the_upload_answers_with_a_redirect_and_leaves_the_job_queued(queued_job):
    assert queued_job.upload_response.status_code == 302
    assert queued_job.upload_response.url == queued_job.page
    assert queued_job.status == S.QUEUED
    assert (queued_job.rows_total, queued_job.rows_done, queued_job.result) == (0, 0, {})
    assert bytes(queued_job.content).startswith(b"PK"), "the file waits for the worker"
    assert not queued_job.letter.rows.exists()


def test_the_job_page_shows_a_polled_progress_bar_without_inline_style(queued_job, client):
    html = client.get(queued_job.page).content.decode()
    assert "Đang chờ xử lý" in html
    assert re.search(r'hx-get="[^"]+" hx-trigger="every 1s"', html)
    assert "<progress" in html
    assert "style=" not in html and "<script>" not in html


def test_the_poll_answers_rows_done_of_rows_total_then_a_refresh(queued_job, client):
    ImportJob.objects.filter(pk=queued_job.pk).update(
        status=S.PARSING, rows_total=120, rows_done=50
    )
    fragment = client.get(queued_job.page, **HTMX).content.decode()
    assert '<progress class="import-bar" value="50" max="120">' in fragment
    assert "50 / 120 dòng" in fragment and 'hx-trigger="every 1s"' in fragment
    ImportJob.objects.filter(pk=queued_job.pk).update(status=S.QUEUED, rows_total=0, rows_done=0)
    letter_import_parse_task(queued_job.pk)
    done = client.get(queued_job.page, **HTMX)
    assert done["HX-Refresh"] == "true", "polling stops: the page reloads with the preview"
    assert "Xác nhận thêm 3 dòng hợp lệ" in client.get(queued_job.page).content.decode()


def test_progress_is_written_every_500_rows_in_its_own_update(cast):
    from requests_app.excel.jobs import letter_import_start

    job = letter_import_start(
        cert_request=letter_draft(cast), upload=mau01_people_upload(1200), by=cast.clerk_a
    )
    with CaptureQueriesContext(connection) as queries:
        assert letter_import_parse_task(job.pk) == "ready"
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "portal_importjob"')]
    progress = [sql for sql in updates if '"touched_at"' in sql and '"result"' not in sql]
    # The claim, then 0, 500 and 1,000 rows checked, then the result in one guarded update.
    assert len(progress) == 4
    assert '"status" = ' in updates[-1] and '"result"' in updates[-1]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (S.READY, 1200, 1200)
    assert len(job.result["good"]) == 1200 and bytes(job.content) == b""


# --- the task is safe to deliver twice ---------------------------------------------------------
def test_a_redelivered_parse_task_changes_nothing(queued_job):
    assert letter_import_parse_task(queued_job.pk) == "ready"
    first = ImportJob.objects.get(pk=queued_job.pk)
    assert letter_import_parse_task(queued_job.pk) == "skipped"
    again = ImportJob.objects.get(pk=queued_job.pk)
    assert (again.status, again.attempt, again.finished_at, again.result) == (
        first.status,
        first.attempt,
        first.finished_at,
        first.result,
    )


def test_a_duplicate_task_leaves_a_job_another_worker_is_parsing_alone(queued_job):
    ImportJob.objects.filter(pk=queued_job.pk).update(status=S.PARSING, attempt=1)
    assert letter_import_parse_task(queued_job.pk) == "skipped"
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.attempt, job.result) == (S.PARSING, 1, {})


def test_a_failed_parse_shows_its_reason(cast, client):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    _upload(client, cert_request, xlsx_upload([["Họ tên", "Ngày sinh"], ["A", "B"]]))
    job = ImportJob.objects.get()
    assert letter_import_parse_task(job.pk) == "failed"
    page = client.get(reverse("requests_app:import_job", args=[cert_request.pk, job.pk]))
    html = page.content.decode()
    assert "Không nhập được tệp này." in html and "STT" in html
    assert excel_confirm(client, cert_request, job.pk).status_code == 302
    assert not cert_request.rows.exists()


# --- the sweep ---------------------------------------------------------------------------------
def test_the_sweep_queues_a_lost_job_again_once(queued_job, settings):
    settings.PORTAL_IMPORT_STALL_SECONDS = 120
    ImportJob.objects.filter(pk=queued_job.pk).update(
        status=S.PARSING, attempt=1, touched_at=timezone.now() - timedelta(seconds=121)
    )
    assert import_jobs_sweep()["requeued"] == 1
    assert import_jobs_sweep()["requeued"] == 0, "claimed: not queued twice"
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert job.status == S.QUEUED
    assert letter_import_parse_task(job.pk) == "ready"
    assert ImportJob.objects.get(pk=job.pk).attempt == 2


def test_the_sweep_leaves_a_job_within_its_window_alone(queued_job, settings):
    settings.PORTAL_IMPORT_STALL_SECONDS = 120
    ImportJob.objects.filter(pk=queued_job.pk).update(
        touched_at=timezone.now() - timedelta(seconds=60)
    )
    assert import_jobs_sweep() == {"expired": 0, "given_up": 0, "requeued": 0}


def test_a_job_claimed_too_often_fails_with_a_message(queued_job, client):
    ImportJob.objects.filter(pk=queued_job.pk).update(
        status=S.PARSING, attempt=MAX_ATTEMPTS, touched_at=timezone.now() - timedelta(hours=1)
    )
    assert import_jobs_sweep()["given_up"] == 1
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert job.status == S.FAILED and "3 lần thử" in job.error
    assert "3 lần thử" in client.get(queued_job.page).content.decode()


def test_a_job_older_than_a_day_is_discarded_with_its_file(queued_job, client):
    letter_import_parse_task(queued_job.pk)
    _age(queued_job, hours=25)
    assert import_jobs_sweep()["expired"] == 1
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, bytes(job.content), job.result) == (S.DISCARDED, b"", {})
    assert "đã hết hạn" in client.get(queued_job.page).content.decode()
    excel_confirm(client, queued_job.letter, job.pk)
    assert not queued_job.letter.rows.exists()


# --- a job is its owner's ----------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["clerk_b", "other_clerk_a", "officer_1", "ca_operator"])
def test_nobody_else_sees_or_confirms_a_job(queued_job, cast, client, persona):
    letter_import_parse_task(queued_job.pk)
    if persona == "other_clerk_a":
        user = f.UserFactory(username="clerk_a2")
        f.MembershipFactory(user=user, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    else:
        user = getattr(cast, persona)
    sign_in(client, user)
    assert client.get(queued_job.page).status_code == 404
    assert excel_confirm(client, queued_job.letter, queued_job.pk).status_code == 404
    assert ImportJob.objects.get(pk=queued_job.pk).status == S.READY
    assert not queued_job.letter.rows.exists()


def test_the_owner_confirms_once_and_the_job_forgets_its_rows(queued_job, client):
    letter_import_parse_task(queued_job.pk)
    assert excel_confirm(client, queued_job.letter, queued_job.pk).status_code == 302
    assert queued_job.letter.rows.count() == 3
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.result) == (S.CONFIRMED, {})
    excel_confirm(client, queued_job.letter, queued_job.pk)
    assert queued_job.letter.rows.count() == 3


def test_discarding_drops_the_job_and_adds_nothing(queued_job, client):
    letter_import_parse_task(queued_job.pk)
    url = reverse("requests_app:import_discard", args=[queued_job.letter.pk, queued_job.pk])
    assert client.post(url).status_code == 302
    assert ImportJob.objects.get(pk=queued_job.pk).status == S.DISCARDED
    excel_confirm(client, queued_job.letter, queued_job.pk)
    assert not queued_job.letter.rows.exists()


def test_another_ca_operator_gets_404_on_a_stock_job(cast, client):
    from devices.stock_jobs import stock_import_start

    upload = xlsx_upload([["Loại thiết bị", "Số hiệu"], ["TOKEN", "VT2699001"]], name="kho.xlsx")
    job = stock_import_start(upload=upload, by=cast.ca_operator)
    other = f.UserFactory(username="ca_operator_2")
    f.MembershipFactory(user=other, role=Role.CA_OPERATOR, organization=cast.ca_org)
    sign_in(client, other)
    assert client.get(reverse("devices:stock_import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("devices:stock_import_confirm", args=[job.pk])).status_code == 404


def test_the_former_worker_of_a_requeued_job_writes_nothing(queued_job, settings):
    from portal.imports import claim, import_job_run

    settings.PORTAL_IMPORT_STALL_SECONDS = 120

    def slow_parse(job, progress):
        # While this worker is thought dead, the sweep re-queues the job and another worker
        # claims it and starts reading; then this one wakes up with its own progress and result.
        ImportJob.objects.filter(pk=job.pk).update(
            touched_at=timezone.now() - timedelta(seconds=121)
        )
        assert import_jobs_sweep()["requeued"] == 1
        assert claim(job.pk).attempt == 2
        progress(1, 1)
        return {"layout": "late"}, 1

    assert import_job_run(job_id=queued_job.pk, parse=slow_parse) == "lost"
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.attempt, job.rows_total, job.result) == (S.PARSING, 2, 0, {})


def test_the_job_page_with_a_300_row_preview_stays_within_its_query_budget(cast, client):
    from requests_app.excel.jobs import letter_import_start

    cert_request = letter_draft(cast)
    job = letter_import_start(
        cert_request=cert_request, upload=mau01_people_upload(300), by=cast.clerk_a
    )
    letter_import_parse_task(job.pk)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:import_job", args=[cert_request.pk, job.pk])
    assert count_queries(client, url) <= BUDGET


# --- the confirmation is saved by the worker (docs/processing.md §4.7) -----------------------------
def _ready(queued_job):
    assert letter_import_parse_task(queued_job.pk) == "ready"
    return queued_job


def test_the_confirmation_only_queues_the_save_and_writes_no_row(queued_job, client):
    _ready(queued_job)
    url = reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk])
    response = client.post(url)
    assert response.status_code == 302 and response.url == queued_job.page
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.attempt, len(job.result["good"])) == (S.CONFIRMING, 0, 3)
    assert not queued_job.letter.rows.exists(), "nothing is written in the web request"
    html = client.get(queued_job.page).content.decode()
    assert 'data-status="confirming"' in html and 'hx-trigger="every 1s"' in html


def test_the_save_task_adds_the_rows_and_the_page_goes_to_the_letter(queued_job, client):
    _ready(queued_job)
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    assert letter_import_save_task(queued_job.pk) == "confirmed"
    assert queued_job.letter.rows.count() == 3
    assert client.get(queued_job.page, **HTMX)["HX-Refresh"] == "true"
    page = client.get(queued_job.page)
    assert page.url == reverse("requests_app:edit", args=[queued_job.letter.pk])
    assert "Đã thêm 3 dòng từ tệp Excel." in client.get(page.url).content.decode()


def test_a_redelivered_save_task_adds_nothing(queued_job, client):
    _ready(queued_job)
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    assert letter_import_save_task(queued_job.pk) == "confirmed"
    assert letter_import_save_task(queued_job.pk) == "skipped"
    assert queued_job.letter.rows.count() == 3


def test_one_import_job_adds_its_rows_once_by_a_database_constraint(queued_job, cast):
    from requests_app.excel.jobs import AlreadyImported, letter_rows_import, result_sheet
    from requests_app.models import LetterImport

    _ready(queued_job)
    job = ImportJob.objects.get(pk=queued_job.pk)
    sheet = result_sheet(job.result)
    assert (
        letter_rows_import(cert_request=queued_job.letter, job=job, by=cast.clerk_a, sheet=sheet)
        == 3
    )
    # A second run for the same job, whatever its status says: refused by the constraint.
    with pytest.raises(AlreadyImported):
        letter_rows_import(
            cert_request=queued_job.letter, job=job, by=cast.clerk_a, sheet=result_sheet(job.result)
        )
    assert queued_job.letter.rows.count() == 3
    record = LetterImport.objects.get()
    assert (record.job_id, record.rows, record.first_position) == (job.pk, 3, 1)


def test_the_sweep_queues_a_save_whose_worker_died_again_and_it_completes(
    queued_job, client, settings
):
    settings.PORTAL_IMPORT_STALL_SECONDS = 120
    _ready(queued_job)
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    # A worker claimed the save and died in the middle: its transaction never committed.
    ImportJob.objects.filter(pk=queued_job.pk).update(
        status=S.SAVING, attempt=1, touched_at=timezone.now() - timedelta(seconds=121)
    )
    assert import_jobs_sweep()["requeued"] == 1
    assert import_jobs_sweep()["requeued"] == 0, "claimed: not queued twice"
    assert ImportJob.objects.get(pk=queued_job.pk).status == S.CONFIRMING
    assert letter_import_save_task(queued_job.pk) == "confirmed"
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.attempt) == (S.CONFIRMED, 2)
    assert queued_job.letter.rows.count() == 3


def test_a_save_that_keeps_failing_ends_failed_with_nothing_added(queued_job, client):
    _ready(queued_job)
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    ImportJob.objects.filter(pk=queued_job.pk).update(
        status=S.SAVING, attempt=MAX_ATTEMPTS, touched_at=timezone.now() - timedelta(hours=1)
    )
    assert import_jobs_sweep()["given_up"] == 1
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert job.status == S.FAILED and "Chưa ghi được các dòng sau 3 lần thử" in job.error
    assert not queued_job.letter.rows.exists()


def test_the_former_worker_of_a_requeued_save_writes_nothing(queued_job, client, settings):
    from portal.imports import claim, import_job_save_run

    settings.PORTAL_IMPORT_STALL_SECONDS = 120
    _ready(queued_job)
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    wrote = []

    def slow_save(job, progress):
        # Thought dead, this worker's job is re-queued and claimed by another one.
        ImportJob.objects.filter(pk=job.pk).update(
            touched_at=timezone.now() - timedelta(seconds=121)
        )
        assert import_jobs_sweep()["requeued"] == 1
        assert claim(job.pk, waiting=S.CONFIRMING, running=S.SAVING).attempt == 2
        return wrote.append

    assert import_job_save_run(job_id=queued_job.pk, save=slow_save) == "lost"
    assert wrote == [] and not queued_job.letter.rows.exists()
    assert ImportJob.objects.get(pk=queued_job.pk).status == S.SAVING


def test_rows_refused_at_the_save_send_the_job_back_to_its_preview(queued_job, client, cast):
    from tests.factories import letter_row_add

    _ready(queued_job)
    person = ImportJob.objects.get(pk=queued_job.pk).result["good"][0]["data"]
    client.post(reverse("requests_app:import_confirm", args=[queued_job.letter.pk, queued_job.pk]))
    # Meanwhile the clerk types one of the file's people by hand.
    letter_row_add(
        queued_job.letter,
        cast.clerk_a,
        national_id=person["national_id"],
        email="khac@laichau.gov.vn",
    )
    assert letter_import_save_task(queued_job.pk) == "ready"
    job = ImportJob.objects.get(pk=queued_job.pk)
    assert job.status == S.READY and "Văn bản đã thay đổi" in job.error
    assert queued_job.letter.rows.count() == 1, "all or nothing"
    html = client.get(queued_job.page).content.decode()
    assert "Văn bản đã thay đổi" in html and "Xác nhận thêm 2 dòng hợp lệ" in html
