"""What a bulk job selects and how it is read (docs/bulk.md): the preview's count against the
cap (one more than the cap is too many, the cap itself is not), its first rows as the
register's page shows them, the refusal's words with the cap written the Vietnamese way, and
the job's filter as a person reads it (labels and names, not ids)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from bulk.registers import CERTIFICATES, revocation_reasons
from bulk.selection import filter_terms, preview, register_rows, too_many_message
from certificates.choices import SubjectKind
from certificates.models import Certificate
from portal.errors import DomainError
from tests.bulk.world import certificates_of, organization_certificate

pytestmark = pytest.mark.django_db


# --- the cap --------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "too_many"), [(3, False), (4, True)])
def test_the_preview_is_too_many_only_above_the_cap(cast, settings, n, too_many):
    settings.PORTAL_BULK_MAX_ITEMS = 3
    certificates_of(cast.agency_a, n)
    certificates_of(cast.agency_b, 5)  # outside the filter

    seen = preview(
        register="certificates", query=f"agency={cast.agency_a.pk}&page=2", user=cast.ca_operator
    )

    assert (seen.count, seen.too_many, seen.cap) == (n, too_many, 3)
    assert seen.query == f"agency={cast.agency_a.pk}"
    assert seen.register is CERTIFICATES


def test_the_refusal_writes_the_cap_with_dots_and_says_what_to_do():
    assert too_many_message(1234567) == (
        "Bộ lọc tìm thấy hơn 1.234.567 đối tượng: một việc hàng loạt nhận tối đa 1.234.567. "
        "Hãy lọc hẹp hơn (theo cơ quan, tỉnh, trạng thái…) rồi thực hiện từng phần."
    )


# --- the first rows -------------------------------------------------------------------------
def test_the_preview_shows_the_first_ten_rows_as_the_page_and_what_applies(cast):
    certificates_of(cast.agency_a, 11)
    organization_certificate(cast.agency_a)
    certificates_of(cast.agency_b, 2)  # another agency: not the clerk's

    seen = preview(register="certificates", query="", user=cast.clerk_a)

    first = list(
        Certificate.objects.filter(agency=cast.agency_a).order_by("-not_before", "-pk")[:10]
    )
    assert seen.count == 12
    assert [c.pk for c in seen.sample] == [c.pk for c in first]
    assert [(row.key, row.url) for row in seen.rows] == [
        (c.serial, reverse("certificates:detail", args=[c.serial])) for c in first
    ]
    top = first[0]
    assert seen.rows[0].cells == [
        top.common_name,
        top.get_subject_kind_display(),
        "Sở Tài chính tỉnh Lai Châu",
        timezone.localtime(top.not_after).strftime("%d/%m/%Y"),
        "Còn hiệu lực",
    ]
    kinds = sorted([SubjectKind.ORGANIZATION, SubjectKind.PERSON])
    assert (seen.subject_kinds, seen.reasons, seen.organizations) == (
        kinds,
        revocation_reasons(kinds),
        1,
    )


# --- the filter as read ---------------------------------------------------------------------
def test_the_filter_reads_as_labels_and_names_in_the_forms_order(cast):
    query = (
        f"status=valid&subject_kind=&agency={cast.agency_a.pk}&q=Nguy%E1%BB%85n"
        "&expiring_within=30&page=2"
    )
    assert filter_terms("certificates", query, cast.ca_operator) == [
        ("Số hiệu, tên, cơ quan hoặc thư điện tử", "Nguyễn"),
        ("Cơ quan quản lý", "Sở Tài chính tỉnh Lai Châu"),
        ("Trạng thái", "Còn hiệu lực"),
        ("Hết hạn trong vòng (ngày)", "30"),
    ]


def test_an_invalid_filter_reads_as_typed(cast):
    query = f"status=bogus&status=other&agency={cast.agency_a.pk}"
    assert filter_terms("certificates", query, cast.ca_operator) == [
        ("Cơ quan quản lý", str(cast.agency_a.pk)),
        ("Trạng thái", "bogus, other"),
    ]


def test_a_value_the_form_cleans_to_nothing_reads_as_typed(cast):
    assert filter_terms("certificates", "q=%20%20", cast.ca_operator) == [
        ("Số hiệu, tên, cơ quan hoặc thư điện tử", "  ")
    ]


def test_an_organisation_is_named_without_reading_the_list_of_organisations(
    cast, django_assert_num_queries
):
    # As many queries as naming any one value: the organisation is read, not all of them.
    with django_assert_num_queries(3):
        terms = filter_terms("certificates", f"agency={cast.agency_a.pk}", cast.ca_operator)
    assert terms == [("Cơ quan quản lý", "Sở Tài chính tỉnh Lai Châu")]


def test_an_invalid_filter_is_refused_naming_each_field_in_words(cast):
    with pytest.raises(DomainError) as refused:
        register_rows(
            register="certificates", query="status=bogus&subject_kind=other", user=cast.ca_operator
        )

    assert refused.value.code == "filter"
    message = refused.value.message
    assert message.startswith("Bộ lọc không hợp lệ: ")
    parts = message.removeprefix("Bộ lọc không hợp lệ: ").split("; ")
    assert [part.split(": ", 1)[0] for part in sorted(parts)] == ["Loại thuê bao", "Trạng thái"]
    assert "bogus" in message and "other" in message


def test_the_kept_filter_drops_empty_values(cast):
    _rows, kept = register_rows(
        register="certificates", query="q=&status=valid&agency=", user=cast.ca_operator
    )

    assert kept == "status=valid"
