"""Personal data masked on every page, and the deliberate, recorded reveal (docs/privacy.md §masking).

The matrix: every persona × every page that shows an ID number, a birth or ID issue date or a
phone number. A full value is never in the HTML; the masked form is, wherever the persona sees
the record; the "Hiện" control is drawn only for those who may reveal it; and the reveal
endpoint answers the full value only to them, each time leaving exactly one access."""

import unicodedata
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from devices.choices import Carrier, DeviceKind, DeviceStatus
from privacy.access import Subject
from privacy.choices import AccessChannel
from privacy.masking import mask_date, mask_id, mask_phone
from privacy.models import Access
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest
from tests import factories as f
from tests.helpers import HTMX, sign_in
from tests.privacy.world import officer

pytestmark = pytest.mark.django_db

PERSONAS = ["clerk", "head", "officer", "ca", "subscriber", "admin", "dpo"]
# Who may reveal a value of agency A's records (privacy/inventory.py, FULL_VALUE_READERS); the
# subscriber too, for a value about themselves.
REVEALERS = {"clerk", "officer", "ca"}

CONTACT_ID, CONTACT_ISSUED, CONTACT_MOBILE = "001187004321", date(2018, 2, 13), "0987001122"
ROW_ID, ROW_BORN, ROW_ISSUED = "001190012345", date(1990, 3, 5), date(2019, 4, 16)
ROW_MOBILE = "0912777888"
HOLDER_ID, SIM_PHONE, STOCK_PHONE = "001185055555", "0868123456", "0868999000"
DRAFT_MOBILE = f.LETTER_CONTACT["contact_mobile"]  # the draft's contact (section 1)
REASON = "Đối chiếu với căn cước khi Cục CTS&BMTT hỏi lại"


def full_forms(value) -> list[str]:
    """Every way a page could write the value in full."""
    if isinstance(value, date):
        return [value.strftime("%d/%m/%Y"), value.isoformat()]
    return [value]


@pytest.fixture
def world(cast):
    """Agency A's letters as they reach the CA (a Mẫu 01 with its contact and a row, a Mẫu 05
    naming a certificate), a draft, a SIM PKI held by the subscriber and one in the CA's
    stock."""
    holder = f.PersonFactory(organization=cast.agency_a, national_id=HOLDER_ID)
    certificate = f.CertificateFactory(person=holder, agency=cast.agency_a)
    letter = services.cert_request_create(
        agency=cast.agency_a,
        form=FormKind.ISSUE_PERSON,
        by=cast.clerk_a,
        contact_name="Nguyễn Thị Thu Hà",
        contact_national_id=CONTACT_ID,
        contact_id_issue_date=CONTACT_ISSUED,
        contact_id_issue_place="CCSQLHCVTTXH",
        contact_mobile=CONTACT_MOBILE,
        contact_email="ha@laichau.gov.vn",
    )
    row = f.letter_row_add(
        letter,
        cast.clerk_a,
        national_id=ROW_ID,
        date_of_birth=ROW_BORN,
        id_issue_date=ROW_ISSUED,
        mobile=ROW_MOBILE,
    )
    revocation = f.letter_draft(cast, FormKind.REVOKE)
    services.row_save(
        cert_request=revocation,
        by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": "retired"},
    )
    # Brought to the CA's queue directly: what is under test is what each reader sees.
    CertRequest.objects.filter(pk__in=[letter.pk, revocation.pk]).update(
        status=Status.FORWARDED,
        number="12/STC-VP",
        issued_on=timezone.localdate(),
        forwarded_at=timezone.now(),
    )
    # The draft is another clerk's of agency A: its author sees it unmasked (docs/privacy.md
    # §6), the matrix's clerk is a colleague, who sees the masks.
    author = f.UserFactory(username="clerk_a_author")
    f.MembershipFactory(user=author, role=Role.AGENCY_CLERK, organization=cast.agency_a)
    draft = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=author, **f.LETTER_CONTACT
    )
    draft_row = f.letter_row_add(
        draft, author, national_id=ROW_ID, date_of_birth=ROW_BORN, mobile=ROW_MOBILE
    )
    sim = f.DeviceFactory(
        agency=cast.agency_a,
        holder=cast.subscriber,
        kind=DeviceKind.SIM_PKI,
        iccid="8984048000000000001",
        phone=SIM_PHONE,
        carrier=Carrier.VIETTEL,
        status=DeviceStatus.HANDED_TO_SUBSCRIBER,
    )
    stock = f.DeviceFactory(
        agency=None,
        kind=DeviceKind.SIM_PKI,
        iccid="8984048000000000002",
        phone=STOCK_PHONE,
        carrier=Carrier.VIETTEL,
        status=DeviceStatus.IN_CA_STOCK,
    )
    users = {
        "clerk": cast.clerk_a,
        "head": cast.head_a,
        "officer": cast.officer_1,
        "ca": cast.ca_operator,
        "subscriber": cast.subscriber_user,
        "admin": cast.admin,
        "dpo": officer(),
    }
    return locals()


def client_of(client, world, persona):
    return sign_in(client, world["users"][persona])


def reveal_url(label, pk, field):
    return reverse("privacy:reveal", args=[label, pk, field])


# --- the pages --------------------------------------------------------------------------------
def letter_page(w):
    return reverse("requests_app:detail", args=[w["letter"].pk]), {}, "get"


def revocation_page(w):
    return reverse("requests_app:detail", args=[w["revocation"].pk]), {}, "get"


def editor_page(w):
    return reverse("requests_app:edit", args=[w["draft"].pk]), {}, "get"


def editor_row_fragment(w):
    url = reverse("requests_app:row_show", args=[w["draft"].pk, w["draft_row"].pk])
    return url, HTMX, "get"


def row_edit_form(w):
    url = reverse("requests_app:row_edit", args=[w["draft"].pk, w["draft_row"].pk])
    return url, HTMX, "get"


def picker(w):
    url = reverse("requests_app:pick", args=[w["draft"].pk, "person"])
    return f"{url}?q={HOLDER_ID}", HTMX, "get"


def device_page(w):
    return reverse("devices:detail", args=[w["sim"].pk]), {}, "get"


def stock_list(w):
    return f"{reverse('devices:stock')}?q={STOCK_PHONE}", {}, "get"


DRAFT = {"clerk": 200, "head": 403, "officer": 404, "ca": 404, "subscriber": 404, "admin": 403,
         "dpo": 404}  # fmt: skip
FORWARDED = {"clerk": 200, "head": 200, "officer": 200, "ca": 200, "subscriber": 404,
             "admin": 200, "dpo": 404}  # fmt: skip
SIM = {**FORWARDED, "subscriber": 200}
STOCK = {"clerk": 403, "head": 403, "officer": 403, "ca": 200, "subscriber": 403, "admin": 200,
         "dpo": 403}  # fmt: skip

# page: (address, answer per persona, {full value: its mask}, the reveal addresses drawn for
# those who may reveal, who may besides REVEALERS)
PAGES = {
    "letter": (letter_page, FORWARDED, "letter_values", ["contact", "row"], set()),
    "revocation": (revocation_page, FORWARDED, "registry_values", ["holder"], set()),
    "editor": (editor_page, DRAFT, "editor_values", ["draft_row"], set()),
    "editor_row": (editor_row_fragment, DRAFT, "draft_values", ["draft_row"], set()),
    "row_edit_form": (row_edit_form, DRAFT, "draft_values", [], set()),
    "picker": (picker, DRAFT, "registry_values", [], set()),
    "device": (device_page, SIM, "sim_values", ["sim"], {"subscriber"}),
    "stock": (stock_list, STOCK, "stock_values", ["stock"], set()),
}

VALUES = {
    "letter_values": {
        CONTACT_ID: mask_id(CONTACT_ID), CONTACT_MOBILE: mask_phone(CONTACT_MOBILE),
        CONTACT_ISSUED: mask_date(CONTACT_ISSUED), ROW_ID: mask_id(ROW_ID),
        ROW_BORN: mask_date(ROW_BORN), ROW_ISSUED: mask_date(ROW_ISSUED),
        ROW_MOBILE: mask_phone(ROW_MOBILE),
    },
    "registry_values": {HOLDER_ID: mask_id(HOLDER_ID)},
    "draft_values": {
        ROW_ID: mask_id(ROW_ID), ROW_BORN: mask_date(ROW_BORN), ROW_MOBILE: mask_phone(ROW_MOBILE),
    },
    "editor_values": {
        ROW_ID: mask_id(ROW_ID), ROW_BORN: mask_date(ROW_BORN), ROW_MOBILE: mask_phone(ROW_MOBILE),
        DRAFT_MOBILE: mask_phone(DRAFT_MOBILE),
    },
    "sim_values": {SIM_PHONE: mask_phone(SIM_PHONE)},
    "stock_values": {STOCK_PHONE: mask_phone(STOCK_PHONE)},
}  # fmt: skip


def without_the_query(html: str, url: str) -> str:
    """The page without the echo of what the user typed in a search box (the box itself, the
    language switch's return address): a number they searched for is theirs to see."""
    _path, _mark, query = url.partition("?q=")
    if not query:
        return html
    for echo in (f"q={query}", f"q%3D{query}", f'value="{query}"'):
        html = html.replace(echo, "")
    return html


def reveal_links(w) -> dict[str, str]:
    """The reveal address each page draws for the values of its record."""
    return {
        "contact": reveal_url("requests_app.CertRequest", w["letter"].pk, "contact_national_id"),
        "row": reveal_url("requests_app.RequestRow", w["row"].pk, "national_id"),
        "draft_row": reveal_url("requests_app.RequestRow", w["draft_row"].pk, "national_id"),
        "holder": reveal_url("agencies.Person", w["holder"].pk, "national_id"),
        "sim": reveal_url("devices.Device", w["sim"].pk, "phone"),
        "stock": reveal_url("devices.Device", w["stock"].pk, "phone"),
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_shows_personal_data_masked_and_offers_the_reveal_only_to_who_may(
    client, world, page, persona
):
    address, answers, values, links, also = PAGES[page]
    url, headers, _method = address(world)
    client_of(client, world, persona)
    response = client.get(url, **headers)
    assert response.status_code == answers[persona]
    html = without_the_query(response.content.decode(), url)
    for value, shown in VALUES[values].items():
        for written in full_forms(value):
            assert written not in html, f"{written} in full on {page} for {persona}"
        if response.status_code == 200:
            assert shown in html, f"{shown} missing from {page} for {persona}"
    drawn = {name for name in links if f'hx-get="{reveal_links(world)[name]}"' in html}
    may = response.status_code == 200 and persona in REVEALERS | also
    assert drawn == (set(links) if may else set())


DRAFT_PAGES = ["editor", "editor_row", "row_edit_form"]
DRAFT_CONTACT = {"contact_mobile": DRAFT_MOBILE}


def draft_html(client, world, user, page) -> str:
    url, headers, _method = PAGES[page][0](world)
    sign_in(client, user)
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_the_author_of_a_draft_sees_what_they_typed_unmasked(client, world, page):
    """Proofreading one's own draft needs no reveal: no mask, no "Hiện", nothing logged."""
    html = draft_html(client, world, world["author"], page)
    for value, shown in VALUES["draft_values"].items():
        assert full_forms(value)[0] in html, f"{value} not in full on {page}"
        assert shown not in html, f"{shown} still masked on {page}"
    assert reveal_links(world)["draft_row"] not in html
    if page == "editor":  # section 1, the contact they typed
        assert DRAFT_MOBILE in html and mask_phone(DRAFT_MOBILE) not in html
    assert not Access.objects.exists()


@pytest.mark.parametrize("page", DRAFT_PAGES)
def test_another_clerk_of_the_agency_sees_the_draft_masked(client, world, page):
    html = draft_html(client, world, world["cast"].clerk_a, page)
    for value, shown in VALUES["draft_values"].items():
        assert full_forms(value)[0] not in html, f"{value} in full on {page}"
        assert shown in html, f"{shown} not masked on {page}"


def test_the_author_sees_the_masks_once_the_draft_is_submitted(client, world):
    draft, author = world["draft"], world["author"]
    services.cert_request_submit(cert_request=draft, by=author)
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_HEAD
    sign_in(client, author)
    html = client.get(reverse("requests_app:detail", args=[draft.pk])).content.decode()
    for value, shown in VALUES["editor_values"].items():
        assert full_forms(value)[0] not in html, f"{value} in full after submit"
        assert shown in html, f"{shown} not masked after submit"
    assert reveal_links(world)["draft_row"] in html  # a clerk may still reveal, with a reason


def test_the_row_decided_by_htmx_comes_back_masked_with_its_control(client, world):
    client_of(client, world, "ca")
    url = reverse("requests_app:row_decide", args=[world["letter"].pk, world["row"].pk])
    response = client.post(url, {"decision": "accept", "expected": "pending"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert ROW_ID not in html and mask_id(ROW_ID) in html
    assert reveal_links(world)["row"] in html


def test_a_search_by_a_whole_id_number_finds_the_person_and_shows_it_masked(client, world):
    client_of(client, world, "clerk")
    html = client.get(picker(world)[0], **HTMX).content.decode()
    assert world["holder"].full_name in html
    assert mask_id(HOLDER_ID) in html and HOLDER_ID not in html


# --- the reveal -------------------------------------------------------------------------------
TARGETS = {
    "row": ("requests_app.RequestRow", "row", "national_id", ROW_ID, FORWARDED),
    "contact": ("requests_app.CertRequest", "letter", "contact_national_id", CONTACT_ID,
                FORWARDED),
    "registry": ("agencies.Person", "holder", "national_id", HOLDER_ID, FORWARDED),
    "sim": ("devices.Device", "sim", "phone", SIM_PHONE, SIM),
}  # fmt: skip


def expected_subject(world, target) -> Subject:
    obj = world[TARGETS[target][1]]
    if target == "row":
        return Subject(obj.person_id, obj.national_id_index)
    if target == "contact":
        return Subject(None, obj.contact_national_id_index)
    if target == "registry":
        return Subject(obj.pk, obj.national_id_index)
    return Subject(world["cast"].subscriber.pk, "")


def reveal_answer(persona, sees):
    """200 for who may reveal, 403 for who sees the record but may not, 404 for the rest."""
    if sees[persona] != 200:
        return 404
    return 200 if persona in REVEALERS or (persona == "subscriber") else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", list(TARGETS))
def test_the_reveal_answers_the_full_value_only_to_who_may_and_records_it(
    client, world, target, persona
):
    label, name, field, value, sees = TARGETS[target]
    obj = world[name]
    client_of(client, world, persona)
    response = client.post(reveal_url(label, obj.pk, field), {"reason": REASON}, **HTMX)
    expected = reveal_answer(persona, sees)
    assert response.status_code == expected
    if expected != 200:
        assert value not in response.content.decode()
        assert not Access.objects.exists()
        return
    assert value in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    access = Access.objects.get()
    key = f"{label}.{field}"
    assert (access.actor, access.channel, access.fields, access.reason) == (
        world["users"][persona],
        AccessChannel.REVEAL,
        [key],
        REASON,
    )
    assert (access.object_type, access.object_id) == (label.lower(), str(obj.pk))
    subject = access.subjects.get()
    assert Subject(subject.person_id, subject.id_index) == expected_subject(world, target)


def test_a_subscriber_may_reveal_their_own_id_number_and_nobody_elses(client, world):
    cast = world["cast"]
    client_of(client, world, "subscriber")
    own = reveal_url("agencies.Person", cast.subscriber.pk, "national_id")
    assert client.post(own, {"reason": REASON}).status_code == 200
    other = reveal_url("agencies.Person", world["holder"].pk, "national_id")
    assert client.post(other, {"reason": REASON}).status_code == 404
    assert Access.objects.get().subjects.get().person_id == cast.subscriber.pk


@pytest.mark.parametrize(
    "reason, error",
    [
        ("", "Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ."),
        ("   ", "Hãy nêu lý do cần xem dữ liệu cá nhân đầy đủ."),
        ("x" * 501, "Lý do dài quá 500 ký tự."),
    ],
)
def test_a_reveal_without_a_fit_reason_says_why_and_records_nothing(client, world, reason, error):
    client_of(client, world, "clerk")
    url = reveal_url("requests_app.RequestRow", world["row"].pk, "national_id")
    response = client.post(url, {"reason": reason})
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html and ROW_ID not in html
    assert not Access.objects.exists()
    in_place = client.post(url, {"reason": reason}, **HTMX)
    assert in_place.status_code == 200 and error in in_place.content.decode()
    assert not Access.objects.exists()


def test_a_reason_is_recorded_nfc_normalised_and_500_characters_are_enough(client, world):
    client_of(client, world, "clerk")
    url = reveal_url("requests_app.RequestRow", world["row"].pk, "national_id")
    reason = unicodedata.normalize("NFD", "Đối chiếu hồ sơ") + "x" * 485
    assert client.post(url, {"reason": reason}).status_code == 200
    assert Access.objects.get().reason == unicodedata.normalize("NFC", reason)


# --- the admin: an administrator sees these values masked too --------------------------------
@pytest.mark.parametrize(
    "model, name, values",
    [
        ("agencies/person", "holder", [HOLDER_ID]),
        ("devices/device", "sim", [SIM_PHONE]),
        ("requests_app/certrequest", "letter", [CONTACT_ID, CONTACT_MOBILE, CONTACT_ISSUED]),
    ],
)
def test_the_admin_shows_an_administrator_the_values_masked(client, world, model, name, values):
    client_of(client, world, "admin")
    response = client.get(f"/quan-tri/{model}/{world[name].pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    for value in values:
        for written in full_forms(value):
            assert written not in html
    assert any(shown in html for shown in (mask_id(values[0]), mask_phone(values[0])))


def test_saving_a_person_in_the_admin_without_touching_the_masked_fields_keeps_them(client, world):
    holder = world["holder"]
    client_of(client, world, "admin")
    url = f"/quan-tri/agencies/person/{holder.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(full_name="Nguyễn Văn Đổi Tên", organization=holder.organization_id)
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items() if v is not None}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    holder.refresh_from_db()
    assert holder.full_name == "Nguyễn Văn Đổi Tên"
    assert (holder.national_id, holder.date_of_birth) == (HOLDER_ID, date(1985, 5, 17))
