"""The pages of the access log (docs/privacy.md §access log): the data protection officer's
search and the detail of one access, each person's list of the accesses to their own data."""

from datetime import datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from privacy.access import Subject, personal_data_access_record
from privacy.choices import AccessChannel
from privacy.filters import NAME_MATCHES_MAX
from privacy.masking import mask_id
from privacy.models import Access
from tests import factories as f
from tests.helpers import HTMX, count_queries, sign_in
from tests.privacy.world import officer

pytestmark = pytest.mark.django_db

NATIONAL_ID = "agencies.Person.national_id"
ROW_ID = "requests_app.RequestRow.national_id"
BIRTH = "agencies.Person.date_of_birth"
OTHERS = ["clerk_a", "head_a", "officer_1", "ca_operator", "subscriber_user"]


def access(by, person, **overrides):
    data = {
        "by": by,
        "channel": AccessChannel.REVEAL,
        "subjects": [Subject.of(person)],
        "fields": [NATIONAL_ID],
        "reason": "Đối chiếu hồ sơ cấp chứng thư",
        "obj": person,
        **overrides,
    }
    return personal_data_access_record(**data)


def page(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return unescape(response.content.decode())


def listed(client, **params) -> set[int]:
    """The accesses the officer's search lists (their detail links)."""
    response = client.get(reverse("privacy:accesses"), params)
    assert response.status_code == 200
    ids = set()
    for found in Access.objects.values_list("pk", flat=True):
        if f'href="{reverse("privacy:access_detail", args=[found])}"' in response.content.decode():
            ids.add(found)
    return ids


@pytest.fixture
def dpo_client(client):
    sign_in(client, officer())
    return client


def test_the_officer_finds_accesses_by_the_actors_username_whole_or_its_start(cast, dpo_client):
    person = f.PersonFactory(organization=cast.agency_a)
    by_clerk = access(cast.clerk_a, person)
    by_clerk_b = access(cast.clerk_b, person)
    by_officer = access(cast.officer_1, person)
    assert listed(dpo_client) == {by_clerk.pk, by_clerk_b.pk, by_officer.pk}
    assert listed(dpo_client, actor="clerk_a") == {by_clerk.pk}
    assert listed(dpo_client, actor="clerk") == set()
    assert listed(dpo_client, actor="clerk*") == {by_clerk.pk, by_clerk_b.pk}


def test_the_officer_finds_the_accesses_to_one_subject_by_their_id_number(cast, dpo_client):
    me, other = cast.subscriber, f.PersonFactory(organization=cast.agency_a)
    by_record = access(cast.officer_1, me)
    # a letter's row naming me by my ID number only, not linked to my record
    by_number = access(
        cast.clerk_a, other, subjects=[Subject(None, me.national_id_index)], fields=[ROW_ID]
    )
    access(cast.officer_1, other)
    assert listed(dpo_client, national_id=me.national_id) == {by_record.pk, by_number.pk}
    assert listed(dpo_client, national_id="099999999999") == set()


def test_the_officer_finds_the_accesses_to_people_by_their_name(cast, dpo_client):
    hang = f.PersonFactory(organization=cast.agency_a, full_name="Đặng Thị Hằng")
    seen = access(cast.clerk_a, hang)
    by_number = access(cast.clerk_a, hang, subjects=[Subject(None, hang.national_id_index)])
    access(cast.clerk_a, f.PersonFactory(organization=cast.agency_a, full_name="Lê Văn Nam"))
    assert listed(dpo_client, name="thị hằng") == {seen.pk, by_number.pk}
    assert listed(dpo_client, name="Trần Không Có") == set()


def test_the_officer_finds_accesses_between_two_days(cast, dpo_client, time_machine):
    person = f.PersonFactory(organization=cast.agency_a)
    made = {}
    for day in (1, 2, 3):
        time_machine.move_to(timezone.make_aware(datetime(2026, 3, day, 23, 30)), tick=False)
        made[day] = access(cast.clerk_a, person)
    time_machine.move_to(timezone.make_aware(datetime(2026, 3, 10, 9)), tick=False)
    assert listed(dpo_client, since="02/03/2026", until="02/03/2026") == {made[2].pk}
    assert listed(dpo_client, since="02/03/2026") == {made[2].pk, made[3].pk}
    assert listed(dpo_client, until="01/03/2026") == {made[1].pk}


def test_the_officer_finds_accesses_by_channel_and_by_object(cast, dpo_client):
    person, other = (f.PersonFactory(organization=cast.agency_a) for _ in range(2))
    revealed = access(cast.clerk_a, person)
    exported = access(cast.clerk_a, other, channel=AccessChannel.EXPORT)
    printed = access(cast.clerk_a, person, channel=AccessChannel.DOCUMENT, reason="")
    assert listed(dpo_client, channel="export") == {exported.pk}
    assert listed(dpo_client, channel="document") == {printed.pk}
    found = listed(dpo_client, object_type="agencies.person", object_id=str(person.pk))
    assert found == {revealed.pk, printed.pk}


def test_each_line_says_when_who_how_what_how_many_about_what_and_why(cast, dpo_client):
    person = f.PersonFactory(organization=cast.agency_a, full_name="Đặng Thị Hằng")
    access(cast.clerk_a, person, fields=[NATIONAL_ID, BIRTH], reason="Kiểm tra trùng")
    html = page(dpo_client, reverse("privacy:accesses"))
    at = timezone.localtime(Access.objects.get().at)
    assert at.strftime("%d/%m/%Y %H:%M") in html
    assert "clerk_a" in html and "Xem giá trị đầy đủ trên trang" in html
    assert "Số định danh cá nhân (hồ sơ cá nhân); Ngày sinh (hồ sơ cá nhân)" in html
    assert NATIONAL_ID not in html  # the inventory's words, not its keys
    assert "Hồ sơ cá nhân" in html and "Đặng Thị Hằng" in html and "Kiểm tra trùng" in html


@pytest.mark.parametrize("persona", OTHERS)
def test_every_other_role_gets_403_on_the_search_and_the_detail(cast, client, persona):
    made = access(cast.officer_1, cast.subscriber)
    sign_in(client, getattr(cast, persona))
    assert client.get(reverse("privacy:accesses")).status_code == 403
    assert client.get(reverse("privacy:access_detail", args=[made.pk])).status_code == 403


def test_an_administrator_uses_the_search_and_the_detail(cast, client):
    made = access(cast.officer_1, cast.subscriber)
    sign_in(client, cast.admin)
    assert client.get(reverse("privacy:accesses")).status_code == 200
    assert client.get(reverse("privacy:access_detail", args=[made.pk])).status_code == 200


BAD_INPUTS = [
    ({"national_id": "12345"}, "Số định danh cá nhân phải gồm đúng 12 chữ số."),
    ({"national_id": "０３８０８５０１２３４５"}, "Số định danh cá nhân phải gồm đúng 12 chữ số."),
    ({"national_id": "0380850123456789"}, "Số định danh cá nhân phải gồm đúng 12 chữ số."),
    ({"since": "31/02/2026"}, "Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy."),
    ({"until": "31/12/9999"}, "Hãy nhập ngày trong khoảng năm 2000 đến năm 2100."),
    ({"since": "01/01/0001"}, "Hãy nhập ngày trong khoảng năm 2000 đến năm 2100."),
    ({"since": "05/03/2026", "until": "01/03/2026"}, "Ngày kết thúc phải từ ngày bắt đầu"),
    ({"object_id": "42"}, "Hãy chọn loại đối tượng của mã đã nhập."),
    ({"channel": "telepathy"}, "Hãy chọn một lựa chọn hợp lệ."),
    ({"object_type": "auth.user"}, "Hãy chọn một lựa chọn hợp lệ."),
    ({"actor": "x" * 200}, "151"),
    ({"cursor": "not-a-cursor"}, "Đường dẫn phân trang không hợp lệ"),
]


@pytest.mark.parametrize(("params", "error"), BAD_INPUTS, ids=[str(p) for p, _ in BAD_INPUTS])
def test_bad_search_input_is_a_vietnamese_error_on_the_page(cast, dpo_client, params, error):
    access(cast.clerk_a, cast.subscriber)
    html = page(dpo_client, reverse("privacy:accesses"), params)
    assert error in html
    if "cursor" not in params:
        assert "Không có lượt truy cập nào phù hợp." in html  # the filter is not dropped


def test_a_search_reloaded_by_htmx_says_what_is_wrong_in_the_results(cast, dpo_client):
    response = dpo_client.get(reverse("privacy:accesses"), {"national_id": "123"}, **HTMX)
    html = unescape(response.content.decode())
    assert response.status_code == 200 and "<form" not in html  # the results only
    assert "Số định danh của chủ thể: Số định danh cá nhân phải gồm đúng 12 chữ số." in html


def test_a_name_matching_too_many_people_asks_for_more_of_it(cast, dpo_client):
    f.PersonFactory.create_batch(NAME_MATCHES_MAX + 1, organization=cast.agency_a)
    html = page(dpo_client, reverse("privacy:accesses"), {"name": "Nguyễn Văn Thử"})
    assert f"khớp với hơn {NAME_MATCHES_MAX} người" in html


def test_the_detail_lists_the_subjects_with_their_id_numbers_masked(cast, dpo_client):
    known = f.PersonFactory(organization=cast.agency_a, full_name="Đặng Thị Hằng")
    later = f.PersonFactory(organization=cast.agency_a, full_name="Lê Văn Nam")
    stranger = "ab" * 32  # an ID number's index no person holds
    made = access(
        cast.clerk_a,
        known,
        channel=AccessChannel.EXPORT,
        subjects=[
            Subject.of(known),
            Subject(None, later.national_id_index),
            Subject(None, stranger),
        ],
    )
    before = Access.objects.count()
    html = page(dpo_client, reverse("privacy:access_detail", args=[made.pk]))
    assert "Đặng Thị Hằng" in html and mask_id(known.national_id) in html
    assert "Lê Văn Nam" in html and mask_id(later.national_id) in html
    assert "tìm theo số định danh" in html
    assert "Chỉ biết qua số định danh" in html
    for person in (known, later):
        assert person.national_id not in html
    assert stranger not in html
    assert Access.objects.count() == before  # reading the log is no access in full


def test_a_missing_access_is_404_for_the_officer(cast, dpo_client):
    assert dpo_client.get(reverse("privacy:access_detail", args=[987654])).status_code == 404


def test_the_search_costs_the_same_queries_for_one_line_or_many(cast, dpo_client):
    people = f.PersonFactory.create_batch(3, organization=cast.agency_a)
    access(cast.clerk_a, people[0])
    url = reverse("privacy:accesses")
    one = count_queries(dpo_client, url)
    for actor, person in zip((cast.clerk_b, cast.officer_1, cast.head_a), people, strict=True):
        access(actor, person)
    assert count_queries(dpo_client, url) == one <= 10
    assert count_queries(dpo_client, url, {"national_id": people[0].national_id}) <= 11


# --- the subject's own list ----------------------------------------------------------------
def test_a_person_sees_the_accesses_to_their_data_by_record_and_by_id_number(cast, client):
    me, other = cast.subscriber, f.PersonFactory(organization=cast.agency_a)
    access(cast.officer_1, me, reason="Thẩm định hồ sơ của tôi")
    access(
        cast.clerk_a,
        other,
        subjects=[Subject(None, me.national_id_index)],
        fields=[ROW_ID],
        reason="Dòng văn bản nêu số của tôi",
    )
    access(cast.officer_1, other, reason="Hồ sơ của người khác")
    html = page(sign_in(client, cast.subscriber_user), reverse("privacy:my_accesses"))
    assert "Thẩm định hồ sơ của tôi" in html and "Dòng văn bản nêu số của tôi" in html
    assert "Hồ sơ của người khác" not in html
    assert "Số định danh cá nhân (dòng của văn bản đề nghị)" in html


def test_the_person_is_told_who_looked_by_name_role_and_organisation_not_username(cast, client):
    f.PersonFactory(organization=cast.agency_a, user=cast.clerk_a, full_name="Vũ Thị Mai")
    access(cast.clerk_a, cast.subscriber)
    html = page(sign_in(client, cast.subscriber_user), reverse("privacy:my_accesses"))
    assert "Vũ Thị Mai" in html
    assert "Cán bộ đầu mối cơ quan, Sở Tài chính tỉnh Lai Châu" in html
    assert "clerk_a" not in html


def test_another_user_sees_none_of_them(cast, client):
    access(cast.officer_1, cast.subscriber, reason="Thẩm định hồ sơ của tôi")
    f.PersonFactory(organization=cast.agency_a, user=cast.clerk_b)
    html = page(sign_in(client, cast.clerk_b), reverse("privacy:my_accesses"))
    assert "Thẩm định hồ sơ của tôi" not in html
    assert "Chưa có ai xem hoặc xuất dữ liệu cá nhân đầy đủ của bạn." in html


def test_an_officers_own_page_lists_only_the_accesses_to_their_own_data(cast, client):
    dpo = officer()
    mine = f.PersonFactory(organization=cast.agency_a, user=dpo)
    access(cast.clerk_a, mine, reason="Hồ sơ của cán bộ bảo vệ dữ liệu")
    access(cast.clerk_a, cast.subscriber, reason="Hồ sơ của thuê bao")
    html = page(sign_in(client, dpo), reverse("privacy:my_accesses"))
    assert "Hồ sơ của cán bộ bảo vệ dữ liệu" in html and "Hồ sơ của thuê bao" not in html


def test_an_account_without_a_person_is_told_so(cast, client):
    access(cast.officer_1, cast.subscriber)
    html = page(sign_in(client, cast.clerk_a), reverse("privacy:my_accesses"))
    assert "chưa gắn với hồ sơ cá nhân nào" in html


def test_the_account_page_links_to_the_list(cast, client):
    html = page(sign_in(client, cast.subscriber_user), reverse("accounts:account"))
    assert reverse("privacy:my_accesses") in html


def test_the_list_shows_the_persons_own_accesses_as_theirs(cast, client):
    access(
        cast.subscriber_user,
        cast.subscriber,
        channel=AccessChannel.SUBJECT,
        reason="",
        fields=[NATIONAL_ID],
    )
    html = page(sign_in(client, cast.subscriber_user), reverse("privacy:my_accesses"))
    assert "Bạn" in html and "Chủ thể xem, xuất dữ liệu của chính mình" in html


def test_the_persons_list_costs_the_same_queries_for_one_line_or_many(cast, client):
    sign_in(client, cast.subscriber_user)
    access(cast.clerk_a, cast.subscriber)
    url = reverse("privacy:my_accesses")
    one = count_queries(client, url)
    for actor in (cast.clerk_b, cast.officer_1, cast.head_a, cast.ca_operator):
        access(actor, cast.subscriber)
    assert count_queries(client, url) == one <= 10


def test_the_roles_named_are_those_held_now(cast, client):
    access(cast.clerk_b, cast.subscriber)
    cast.clerk_b.memberships.update(role=Role.AGENCY_HEAD)
    html = page(sign_in(client, cast.subscriber_user), reverse("privacy:my_accesses"))
    assert "Lãnh đạo cơ quan, Sở Y tế tỉnh Lai Châu" in html


def test_the_page_of_the_list_moves_on_by_its_cursor(cast, client):
    for n in range(30):
        access(cast.clerk_a, cast.subscriber, reason=f"Lần {n:02d}")
    sign_in(client, cast.subscriber_user)
    first = client.get(reverse("privacy:my_accesses"), {"page_size": 25})
    assert "Lần 29" in first.content.decode() and "Lần 04" not in first.content.decode()
    cursor = first.context["page"].next_query
    second = page(client, f"{reverse('privacy:my_accesses')}?{cursor}")
    assert "Lần 04" in second and "Lần 29" not in second


def test_times_are_shown_in_the_portals_time_zone(cast, client, time_machine):
    time_machine.move_to(timezone.make_aware(datetime(2026, 3, 1, 23, 45)), tick=False)
    access(cast.clerk_a, cast.subscriber)
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    html = page(sign_in(client, cast.subscriber_user), reverse("privacy:my_accesses"))
    assert "01/03/2026 23:45" in html
