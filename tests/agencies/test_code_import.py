"""The official list of agency codes imported from a spreadsheet (agencies/code_imports.py,
`organization_codes_check` / `organization_codes_apply`) and its admin pages: every line
checked, nothing written unless the whole file is valid, a second import changing nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.code_imports import (
    check_result,
    codes_import_confirm,
    codes_import_parse,
    codes_import_save,
    codes_import_start,
    read_codes_workbook,
)
from agencies.models import FormerCode, Organization
from agencies.services import CodeRow, organization_code_set, organization_codes_apply
from portal.errors import DomainError
from portal.lib.xlsx import XlsxRefused
from portal.models import AuditEvent, ImportJob
from tests import factories as f
from tests.helpers import count_queries, sign_in

pytestmark = pytest.mark.django_db

HEADERS = ["STT", "Mã định danh", "Tên cơ quan"]
LAI_CHAU = [
    [1, "000.00.00.H33", "Tỉnh Lai Châu"],
    [2, "000.00.05.H33", "Sở Tài chính tỉnh Lai Châu"],
    [3, "000.01.05.H33", "Phòng Ngân sách"],
    [4, "000.00.06.H33", "Sở Y tế tỉnh Lai Châu"],
    [5, "000.00.09.H33", "Sở Ngoại vụ tỉnh Lai Châu"],  # not in the portal
]


def rows(lines, first_line=2):
    return [
        CodeRow(line=first_line + i, code=code, name=name)
        for i, (_n, code, name) in enumerate(lines)
    ]


def codes() -> dict[str, str]:
    return dict(Organization.objects.with_code().values_list("name", "code"))


def problems_of(lines) -> dict[int, list[str]]:
    return check_result(rows(lines), {})["problems"]


def test_the_official_list_gives_each_organisation_its_code(cast):
    check = organization_codes_apply(rows=rows(LAI_CHAU), by=cast.admin)
    assert codes() == {
        "Tỉnh Lai Châu": "000.00.00.H33",
        "Sở Tài chính tỉnh Lai Châu": "000.00.05.H33",
        "Phòng Ngân sách": "000.01.05.H33",
        "Sở Y tế tỉnh Lai Châu": "000.00.06.H33",
    }
    assert check.skipped == [6]  # Sở Ngoại vụ: not an organisation of the portal
    events = AuditEvent.objects.filter(action="organization.code_set")
    assert events.count() == 4 and all(e.actor_id == cast.admin.pk for e in events)


def test_reimporting_the_same_list_changes_nothing(cast):
    organization_codes_apply(rows=rows(LAI_CHAU), by=cast.admin)
    events = AuditEvent.objects.count()
    check = organization_codes_apply(rows=rows(LAI_CHAU), by=cast.admin)
    assert check.plans == [] and sorted(check.unchanged) == [2, 3, 4, 5]
    assert AuditEvent.objects.count() == events
    assert not FormerCode.objects.exists()


def test_the_same_name_in_two_provinces_is_told_apart_by_the_parents_code(cast):
    lai_chau = f.AgencyFactory(parent=cast.province_1, name="Sở Nội vụ")
    da_nang = f.AgencyFactory(parent=cast.province_2, name="Sở Nội vụ")
    organization_codes_apply(
        rows=rows(
            [
                [1, "000.00.00.H33", "Tỉnh Lai Châu"],
                [2, "000.00.00.H34", "Thành phố Đà Nẵng"],
                [3, "000.00.02.H34", "Sở Nội vụ"],
                [4, "000.00.02.H33", "Sở Nội vụ"],
            ]
        ),
        by=cast.admin,
    )
    lai_chau.refresh_from_db()
    da_nang.refresh_from_db()
    assert (lai_chau.code, da_nang.code) == ("000.00.02.H33", "000.00.02.H34")


def test_a_new_code_from_the_list_keeps_the_old_one_findable(cast):
    organization_code_set(organization=cast.agency_a, code="000.00.04.H33", by=None)
    check = organization_codes_apply(rows=rows(LAI_CHAU[:2]), by=cast.admin)
    assert [(p.old, p.new) for p in check.plans if p.organization_id == cast.agency_a.pk] == [
        ("000.00.04.H33", "000.00.05.H33")
    ]
    assert Organization.objects.by_code("000.00.04.H33") == cast.agency_a


def test_a_malformed_code_is_a_problem_of_its_line():
    assert problems_of([[1, "H33", "Tỉnh Lai Châu"]])["2"][0].startswith(
        "Mã định danh “H33” không đúng cấu trúc"
    )


def test_a_code_that_skips_a_level_is_a_problem_of_its_line():
    assert problems_of([[1, "000.01.00.H33", "Tỉnh Lai Châu"]]) == {
        "2": ["Mã định danh “000.01.00.H33” có mã cấp 3 nhưng thiếu mã cấp 2."]
    }


def test_a_line_without_code_or_name_is_refused():
    found = problems_of([[1, "", "Tỉnh Lai Châu"], [2, "000.00.00.H33", ""]])
    assert found == {"2": ["Thiếu mã định danh."], "3": ["Thiếu tên cơ quan, tổ chức."]}


def test_a_code_twice_in_the_file_is_refused_on_its_second_line(cast):
    found = problems_of([[1, "000.00.00.H33", "Tỉnh Lai Châu"], [2, "000.00.00.H33", "Khác"]])
    assert found == {"3": ["Mã định danh 000.00.00.H33 đã có ở dòng 2."]}


def test_two_codes_for_one_organisation_are_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    found = problems_of(
        [
            [1, "000.00.05.H33", "Sở Tài chính tỉnh Lai Châu"],
            [2, "000.00.07.H33", "Sở Tài chính tỉnh Lai Châu"],
        ]
    )
    assert found == {"3": ["Dòng 2 đã cho Sở Tài chính tỉnh Lai Châu một mã định danh khác."]}


def test_a_former_code_of_another_organisation_is_refused(cast):
    organization_code_set(organization=cast.agency_b, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.agency_b, code="000.00.06.H33", by=None)
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    found = problems_of([[1, "000.00.05.H33", "Sở Tài chính tỉnh Lai Châu"]])
    assert found == {
        "2": [
            "Mã định danh 000.00.05.H33 là mã cũ của Sở Y tế tỉnh Lai Châu: mã đã dùng không "
            "cấp cho cơ quan khác."
        ]
    }


def test_a_name_that_means_several_organisations_is_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    f.AgencyFactory(parent=cast.province_1, name="Sở Nội vụ")
    f.AgencyFactory(parent=cast.office_1, name="Sở Nội vụ")
    found = problems_of([[1, "000.00.02.H33", "Sở Nội vụ"]])
    assert found["2"][0].startswith("Có nhiều cơ quan tên “Sở Nội vụ” trong cổng")


def test_a_unit_whose_higher_codes_no_organisation_holds_is_skipped_not_matched_by_name(cast):
    # The official list names a "Phòng Ngân sách" of a province the portal does not have:
    # the portal's only "Phòng Ngân sách" (Lai Châu's) must not take its code.
    check = organization_codes_apply(
        rows=rows([[1, "000.01.07.H40", "Phòng Ngân sách"]]), by=cast.admin
    )
    assert check.skipped == [2] and check.plans == [] and check.problems == {}
    assert codes() == {}


def test_a_generic_name_is_looked_for_under_the_nearest_held_code_only(cast):
    # Lai Châu holds H33; its Sở Ngoại vụ (000.00.09.H33) is not in the portal, so the
    # list's "Văn phòng" of that Sở is looked for among Lai Châu's units that no coded agency
    # stands between: the Sở Y tế's own "Văn phòng" (under 000.00.06.H33) is not it, and the
    # file is not blocked.
    office = f.UnitFactory(parent=cast.agency_b, name="Văn phòng")
    organization_codes_apply(
        rows=rows(
            [
                [1, "000.00.00.H33", "Tỉnh Lai Châu"],
                [2, "000.00.06.H33", "Sở Y tế tỉnh Lai Châu"],
                [3, "000.01.09.H33", "Văn phòng"],
            ]
        ),
        by=cast.admin,
    )
    office.refresh_from_db()
    assert office.code is None
    assert codes()["Sở Y tế tỉnh Lai Châu"] == "000.00.06.H33"


def test_a_unit_under_a_missing_level_is_found_under_the_grandparents_holder(cast):
    # Lai Châu's "Phòng Ngân sách" sits in the portal under a Sở without a code yet; the
    # list gives it under 000.00.05.H33, which no line of the file gives anyone.
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    check = organization_codes_apply(
        rows=rows([[1, "000.01.05.H33", "Phòng Ngân sách"]]), by=cast.admin
    )
    assert [plan.organization_id for plan in check.plans] == [cast.unit_a.pk]
    assert check.anywhere == []


def test_a_level_one_line_matched_across_the_tree_is_shown_apart_in_the_preview(client, cast):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    codes_import_parse(job_id=job.pk)
    job.refresh_from_db()
    assert job.result["anywhere"] == [2]  # Tỉnh Lai Châu: no higher code, found by name
    sign_in(client, cast.admin)
    page = client.get(reverse("admin:agencies_codes_job", args=[job.pk])).content.decode()
    assert 'data-anywhere-count="1"' in page
    assert page.count("Tìm theo tên trong toàn bộ cây") == 1


def test_a_code_outside_the_parents_code_is_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    # The file names Lai Châu as the parent of a code of another province.
    line = CodeRow(
        line=2, code="000.00.05.H34", name="Sở Tài chính tỉnh Lai Châu", parent_code="000.00.00.H33"
    )
    found = check_result([line], {})["problems"]
    assert found["2"][0].startswith(
        "Mã định danh “000.00.05.H34” không nằm dưới mã của cơ quan cấp trên Tỉnh Lai Châu"
    )


def test_a_parents_new_code_that_leaves_its_coded_units_outside_is_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    found = problems_of([[1, "000.00.00.H35", "Tỉnh Lai Châu"]])
    assert found == {
        "2": [
            "Không đổi được mã của Tỉnh Lai Châu thành 000.00.00.H35: mã của các đơn vị trực "
            "thuộc sẽ không còn nằm dưới mã mới: Sở Tài chính tỉnh Lai Châu (000.00.05.H33). "
            "Hãy đổi mã các đơn vị đó trước (hoặc nhập danh sách chính thức có cả mã mới của "
            "chúng)."
        ]
    }


def test_nothing_is_written_unless_every_line_is_valid(cast):
    with pytest.raises(DomainError) as refused:
        organization_codes_apply(rows=rows([*LAI_CHAU, [6, "000.00.00", "Sai"]]), by=cast.admin)
    assert refused.value.code == "agency_codes_refused"
    assert codes() == {}


# --- the file ---------------------------------------------------------------------------
def test_the_reader_finds_the_header_under_a_title_and_normalises_cells():
    upload = f.xlsx_upload(
        [["Mã định danh", "Tên cơ quan", "Mã cấp trên"], [" 000.00.05.h33 ", "Sở  Tài chính", ""]],
        title_lines=["DANH SÁCH MÃ ĐỊNH DANH"],
    )
    parsed, unreadable = read_codes_workbook(upload)
    assert parsed == [CodeRow(line=3, code="000.00.05.h33", name="Sở Tài chính", parent_code="")]
    assert unreadable == {}


def test_a_file_without_the_header_is_refused():
    with pytest.raises(XlsxRefused) as refused:
        read_codes_workbook(f.xlsx_upload([["Số", "Tên"], ["1", "A"]]))
    assert "Không tìm thấy dòng tiêu đề" in refused.value.message


def test_a_file_that_is_not_xlsx_is_refused_before_it_is_saved(cast):
    upload = SimpleUploadedFile("ds.xlsx", b"<html>not a workbook</html>")
    with pytest.raises(XlsxRefused):
        codes_import_start(upload=upload, by=cast.admin)
    assert not ImportJob.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_saved(cast):
    upload = SimpleUploadedFile("ds.xlsx", b"PK\x03\x04" + bytes(6 * 1024 * 1024))
    with pytest.raises(XlsxRefused):
        codes_import_start(upload=upload, by=cast.admin)
    assert not ImportJob.objects.exists()


def test_the_job_parses_in_the_worker_and_the_confirmation_writes_every_code(cast):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    assert codes_import_parse(job_id=job.pk) == "ready"
    job.refresh_from_db()
    assert job.result["problems"] == {} and job.result["skipped"] == [6]
    codes_import_confirm(job=job, by=cast.admin)
    assert codes() == {}  # the worker writes them
    assert codes_import_save(job_id=job.pk) == "confirmed"
    assert codes()["Phòng Ngân sách"] == "000.01.05.H33"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CONFIRMED
    assert AuditEvent.objects.filter(action="organization.code_set", actor=cast.admin).count() == 4
    assert codes_import_save(job_id=job.pk) == "skipped"  # a duplicate delivery


def test_a_line_spoiled_since_the_preview_sends_the_job_back_to_it(cast):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    codes_import_parse(job_id=job.pk)
    job.refresh_from_db()
    codes_import_confirm(job=job, by=cast.admin)
    # Meanwhile a second "Sở Tài chính tỉnh Lai Châu": line 3 no longer names one agency.
    f.AgencyFactory(parent=cast.province_1, name="Sở Tài chính tỉnh Lai Châu")
    assert codes_import_save(job_id=job.pk) == "ready"
    job.refresh_from_db()
    assert "cây cơ quan đã thay đổi" in job.error
    assert list(job.result["problems"]) == ["3"]
    assert codes() == {}


def test_a_line_whose_code_another_name_holds_is_shown_with_the_portals_name(cast):
    organization_code_set(organization=cast.agency_c, code="000.00.05.H33", by=None)
    result = check_result(rows(LAI_CHAU[1:2]), {})
    assert result["unchanged"] == [2]
    assert result["names"] == {"2": "Sở Xây dựng thành phố Đà Nẵng"}


def test_a_job_with_a_bad_line_cannot_be_confirmed(cast):
    job = codes_import_start(
        upload=f.xlsx_upload([HEADERS, *LAI_CHAU, [6, "000.0.00.H33", "Sai"]]), by=cast.admin
    )
    codes_import_parse(job_id=job.pk)
    job.refresh_from_db()
    assert list(job.result["problems"]) == ["7"]
    with pytest.raises(DomainError):
        codes_import_confirm(job=job, by=cast.admin)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY  # nothing queued
    assert codes() == {}


# --- the admin pages --------------------------------------------------------------------
def test_the_admin_imports_the_list_from_the_organisations_page(client, cast):
    sign_in(client, cast.admin)
    changelist = client.get(reverse("admin:agencies_organization_changelist"))
    assert reverse("admin:agencies_codes_import") in changelist.content.decode()
    response = client.post(
        reverse("admin:agencies_codes_import"),
        {"file": f.xlsx_upload([HEADERS, *LAI_CHAU])},
    )
    job = ImportJob.objects.get(owner=cast.admin)
    assert response.url == reverse("admin:agencies_codes_job", args=[job.pk])
    codes_import_parse(job_id=job.pk)  # the worker
    page = client.get(response.url).content.decode()
    assert 'data-line="6" data-outcome="skipped"' in page
    assert 'data-line="3" data-outcome="new"' in page
    client.post(response.url, {"confirm": "1"})
    codes_import_save(job_id=job.pk)  # the worker
    assert codes()["Tỉnh Lai Châu"] == "000.00.00.H33"
    assert 'data-status="confirmed"' in client.get(response.url).content.decode()


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "officer_1", "ca_operator"])
def test_the_import_pages_are_closed_to_non_staff(client, cast, persona):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    sign_in(client, getattr(cast, persona))
    for url in (
        reverse("admin:agencies_codes_import"),
        reverse("admin:agencies_codes_template"),
        reverse("admin:agencies_codes_job", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url, url
    client.post(reverse("admin:agencies_codes_job", args=[job.pk]), {"discard": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


def test_another_administrators_job_is_not_found(client, cast):
    other = f.UserFactory(username="admin2", is_superuser=True, is_staff=True)
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=other)
    sign_in(client, cast.admin)
    assert client.get(reverse("admin:agencies_codes_job", args=[job.pk])).status_code == 404


def test_the_import_pages_answer_the_administrator_within_a_query_budget(client, cast):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    codes_import_parse(job_id=job.pk)
    sign_in(client, cast.admin)
    assert count_queries(client, reverse("admin:agencies_codes_import")) <= 4
    assert count_queries(client, reverse("admin:agencies_codes_job", args=[job.pk])) <= 5
    template = client.get(reverse("admin:agencies_codes_template"))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_admin_searches_organisations_by_code(client, cast):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    sign_in(client, cast.admin)
    page = client.get(reverse("admin:agencies_organization_changelist"), {"q": "05.H33"})
    assert list(page.context["cl"].result_list) == [cast.agency_a]


def test_the_admin_change_form_sets_a_code_through_the_service(client, cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    sign_in(client, cast.admin)
    url = reverse("admin:agencies_organization_change", args=[cast.agency_a.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "code"}
    data.update({"former_codes-TOTAL_FORMS": 0, "former_codes-INITIAL_FORMS": 0})
    refused = client.post(url, {**data, "code": "000.00.05.H34"})
    assert "không nằm dưới mã của cơ quan cấp trên" in refused.content.decode()
    client.post(url, {**data, "code": "000.00.05.h33"})
    cast.agency_a.refresh_from_db()
    assert cast.agency_a.code == "000.00.05.H33"
    assert AuditEvent.objects.filter(
        action="organization.code_set", object_id=str(cast.agency_a.pk)
    ).exists()


def test_a_code_given_meanwhile_by_another_writer_is_a_message_in_the_admin(
    client, cast, monkeypatch
):
    # Both writers passed the check; the other one committed first. The admin shows the
    # constraint's message naming the code instead of a server error.
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    sign_in(client, cast.admin)
    url = reverse("admin:agencies_organization_change", args=[cast.agency_a.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "code"}
    data.update({"former_codes-TOTAL_FORMS": 0, "former_codes-INITIAL_FORMS": 0})

    def check_then_the_other_writer_commits(**kw):
        Organization.objects.filter(pk=cast.agency_b.pk).update(code="000.00.05.H33")
        return []

    monkeypatch.setattr(
        "agencies.services.codes.organization_code_problems", check_then_the_other_writer_commits
    )
    response = client.post(url, {**data, "code": "000.00.05.H33"}, follow=True)
    assert response.status_code == 200
    assert (
        "Mã định danh 000.00.05.H33: mã định danh điện tử này đã là mã của cơ quan khác."
        in response.content.decode()
    )
    cast.agency_a.refresh_from_db()
    assert cast.agency_a.code is None


def _after_second_check(monkeypatch, meanwhile):
    """`organization_codes_apply`'s check under the locks, with `meanwhile` (another
    writer's commit) run before or after it."""
    from agencies.services import codes as service

    real = service.organization_codes_check
    calls = []

    def check(rows):
        calls.append(1)
        if len(calls) == 2:
            return meanwhile(lambda: real(rows))
        return real(rows)

    monkeypatch.setattr(service, "organization_codes_check", check)


def test_a_code_taken_by_another_writer_during_the_import_fails_the_job_with_its_message(
    cast, monkeypatch
):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    codes_import_parse(job_id=job.pk)
    job.refresh_from_db()
    codes_import_confirm(job=job, by=cast.admin)

    def meanwhile(check):
        found = check()
        Organization.objects.filter(pk=cast.agency_c.pk).update(code="000.00.06.H33")
        return found

    _after_second_check(monkeypatch, meanwhile)
    assert codes_import_save(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == (
        "Mã định danh 000.00.06.H33: mã định danh điện tử này đã là mã của cơ quan khác."
    )
    assert codes() == {}  # (the other writer shares the test's connection: rolled back too)


def test_an_organisation_planned_after_the_locks_sends_the_job_back_to_its_preview(
    cast, monkeypatch
):
    job = codes_import_start(upload=f.xlsx_upload([HEADERS, *LAI_CHAU]), by=cast.admin)
    codes_import_parse(job_id=job.pk)
    job.refresh_from_db()
    codes_import_confirm(job=job, by=cast.admin)

    def meanwhile(check):
        # Sở Ngoại vụ is created between the first check and the locks: never locked.
        f.AgencyFactory(parent=cast.province_1, name="Sở Ngoại vụ tỉnh Lai Châu")
        return check()

    _after_second_check(monkeypatch, meanwhile)
    assert codes_import_save(job_id=job.pk) == "ready"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    assert job.error.startswith("Từ lúc kiểm tra, cây cơ quan đã thay đổi: xem lại kết quả")
    assert job.result["plans"]  # a preview to confirm again
    assert codes() == {}


def test_the_admin_does_not_delete_an_organisation_that_holds_a_code(client, cast):
    coded = f.AgencyFactory(parent=cast.province_2, name="Sở Nội vụ thành phố Đà Nẵng")
    organization_code_set(organization=coded, code="000.00.02.H34", by=None)
    sign_in(client, cast.admin)
    url = reverse("admin:agencies_organization_delete", args=[coded.pk])
    page = client.post(url, {"post": "yes"})
    assert "000.00.02.H34" in page.content.decode()
    changelist = reverse("admin:agencies_organization_changelist")
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [coded.pk], "post": "yes"}
    )
    assert Organization.objects.filter(pk=coded.pk, code="000.00.02.H34").exists()


def test_a_formula_in_the_code_column_without_its_stored_value_is_a_problem_of_its_line():
    # openpyxl writes formulas without the value Excel would store: nothing to read.
    upload = f.xlsx_upload([["Mã định danh", "Tên cơ quan"], ['="000.00.05."&"H33"', "Sở"]])
    parsed, unreadable = read_codes_workbook(upload)
    assert parsed[0].code == ""
    assert "công thức" in unreadable[2][0]
