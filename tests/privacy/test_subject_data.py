"""A person's own data (docs/privacy.md, "The data subject's rights"): the page lists what the
portal holds about them, unmasked, with the inventory's purpose, basis and retention; the JSON
copy parses and holds their ID number and rows; the PDF copy is sealed by the portal's system
certificate and verifies under pdfsig and pyHanko; each copy is audited; nobody reaches
another person's data."""

import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from certificates.signing import verify_pdf
from dashboard.subject import subject_data, subject_json
from portal.models import AuditEvent
from privacy.access import access_verify
from privacy.choices import AccessChannel
from privacy.inventory import FIELDS, declared
from privacy.models import Access
from tests import factories as f
from tests.certificates.pdf_tools import pdfsig_sections
from tests.document_checks import text_of
from tests.helpers import sign_in
from tests.privacy.subject_world import subject_world, system_seal
from tests.privacy.world import officer

pytestmark = pytest.mark.django_db
VALID = "Signature Validation: Signature is Valid."


@pytest.fixture
def world(cast):
    return subject_world(cast)


def signed_in(client, user):
    sign_in(client, user)
    return client


def test_the_page_lists_the_persons_own_data_unmasked_with_purpose_and_retention(world, client):
    page = signed_in(client, world.user).get(reverse("subject:data")).content.decode()
    person = world.person
    assert person.national_id in page  # unmasked: their own
    assert person.mobile in page
    assert "17/05/1985" in page  # the date of birth as dd/mm/yyyy
    assert world.certificate.serial in page
    assert world.device.serial in page
    assert "Tên gõ khác" in page  # the row naming only their ID number
    assert "Người Khác Hẳn" not in page
    assert world.stranger.national_id not in page
    entry = declared()["agencies.Person.national_id"]
    assert entry.retention.plain[:40] in page
    assert "Mục đích xử lý" in page and "Căn cứ pháp lý" in page


# What a person is never shown: a setting's name (PORTAL_RETENTION_RECORD_YEARS, CA_…) or a
# repository path (docs/retention.md, config/retention.py, portal.api.idempotency.TTL).
TECHNICAL = re.compile(
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[\w/.-]+\.(?:md|py)\b|\w+\.\w+\.\w+\.[A-Z]"
)


def visible_text(html: str) -> str:
    """The page's words as a reader sees them (no tags, no attributes, no script)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_page_states_the_periods_in_plain_words_without_settings_or_paths(
    world, client, settings, language
):
    settings.PORTAL_RETENTION_RECORD_YEARS = 12  # the words follow the settings
    settings.PORTAL_RETENTION_DRAFT_DAYS = 181
    signed_in(client, world.user)
    client.cookies["django_language"] = language
    text = visible_text(client.get(reverse("subject:data")).content.decode())
    assert TECHNICAL.findall(text) == []
    assert "docs/" not in text and "config/" not in text
    if language == "vi":
        assert "Hồ sơ của bạn được lưu 12 năm" in text
        assert "bị xóa 181 ngày sau lần sửa cuối" in text
    else:
        assert "Your record is kept for 12 years" in text
        assert "deleted 181 days after its last change" in text


def test_every_plain_retention_text_is_free_of_settings_and_paths():
    """The inventory's plain words (what "Dữ liệu của tôi" and its copies print) for every
    field, in both languages: no setting, no path, every period filled in."""
    for language in ("vi", "en"):
        with translation.override(language):
            for entry in FIELDS:
                plain = entry.retention.plain
                assert plain and not TECHNICAL.findall(plain), (language, entry.key, plain)
                assert "%(" not in plain and "docs/" not in plain, (entry.key, plain)


def test_reading_the_page_writes_nothing(world, client):
    signed_in(client, world.user)
    before = AuditEvent.objects.count()
    assert client.get(reverse("subject:data")).status_code == 200
    assert AuditEvent.objects.count() == before


def test_an_account_without_a_person_is_told_so_in_vietnamese(cast, client):
    page = signed_in(client, cast.clerk_b).get(reverse("subject:data"))
    assert page.status_code == 200
    assert "chưa được gắn với hồ sơ cá nhân" in page.content.decode()
    response = client.post(reverse("subject:export_json"))
    assert response.status_code == 404
    assert not Access.objects.exists()


def test_the_json_copy_parses_and_holds_the_persons_id_and_rows(world, client):
    response = signed_in(client, world.user).post(reverse("subject:export_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    copy = json.loads(response.content.decode("utf-8"))
    assert copy["format"] == "cong-chu-ky-so/du-lieu-ca-nhan" and copy["version"] == 1
    assert copy["subject"]["national_id"] == world.person.national_id
    groups = {group["key"]: group for group in copy["groups"]}
    person = groups["person"]["records"][0]["fields"]
    assert person["national_id"] == world.person.national_id
    assert person["date_of_birth"] == "1985-05-17"  # ISO
    rows = {record["id"] for record in groups["letter_rows"]["records"]}
    assert rows == {world.linked.pk, world.unlinked.pk}
    assert groups["letter_contacts"]["records"][0]["id"] == world.letter.pk
    assert groups["certificates"]["records"][0]["context"]["serial"] == world.certificate.serial
    assert groups["devices"]["records"][0]["context"]["serial"] == "TK77000001"
    assert groups["account"]["records"][0]["fields"]["username"] == world.user.username
    # the inventory's words for every field listed, and never a blind index
    for group in copy["groups"]:
        for record in group["records"]:
            for name in record["fields"]:
                entry = copy["inventory"][f"{group['model']}.{name}"]
                assert entry["purpose"] and entry["legal_basis"] and entry["retention"]
    assert "agencies.Person.national_id_index" not in copy["inventory"]
    assert world.stranger.national_id not in response.content.decode("utf-8")


def test_each_copy_is_in_the_access_log_with_the_subject_as_its_actor(world, client):
    signed_in(client, world.user).post(reverse("subject:export_json"))
    access = Access.objects.get()
    assert (access.actor_id, access.channel) == (world.user.pk, AccessChannel.SUBJECT)
    assert access.object_type == "agencies.person" and access.object_id == str(world.person.pk)
    assert "agencies.Person.national_id" in access.fields
    assert "requests_app.RequestRow.national_id" in access.fields
    assert list(access.subjects.values_list("person", flat=True)) == [world.person.pk]
    event = AuditEvent.objects.get(action="personal_data.accessed")
    assert event.pk == access.event_id and event.actor_id == world.user.pk
    assert access_verify() == []
    # the next copy lists that access among the data about them
    copy = json.loads(client.post(reverse("subject:export_json")).content)
    (accesses,) = [group for group in copy["groups"] if group["key"] == "accesses"]
    assert [record["id"] for record in accesses["records"]] == [access.pk]


def test_a_copy_is_a_post_never_a_get(world, client):
    signed_in(client, world.user)
    assert client.get(reverse("subject:export_json")).status_code == 405
    assert client.get(reverse("subject:export_pdf")).status_code == 405


def test_nobody_exports_another_persons_data(world, client):
    """No address names a person: whatever is posted, the copy is the signed-in user's."""
    stranger_user = f.UserFactory(username="stranger")
    world.stranger.user = stranger_user
    world.stranger.save(update_fields=["user"])
    signed_in(client, world.user)
    response = client.post(
        reverse("subject:export_json") + f"?person={world.stranger.pk}",
        {"person": world.stranger.pk},
    )
    copy = json.loads(response.content)
    assert copy["subject"]["person_id"] == world.person.pk
    assert world.stranger.national_id not in response.content.decode()


def test_without_a_system_token_the_pdf_is_refused_with_a_message(world, client, settings):
    settings.PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL = ""
    signed_in(client, world.user)
    response = client.post(reverse("subject:export_pdf"))
    assert response.status_code == 302 and response["Location"] == reverse("subject:data")
    page = client.get(response["Location"]).content.decode()
    assert "chưa được cấu hình chứng thư hệ thống" in page
    assert not Access.objects.exists()


def test_a_wrong_token_pin_is_a_message_not_an_unsigned_file(world, client, settings, ca):
    system_seal(settings, world.cast)
    settings.PORTAL_SYSTEM_SIGNING_PIN = "wrong-pin"
    signed_in(client, world.user)
    response = client.post(reverse("subject:export_pdf"))
    assert response.status_code == 302
    assert "Không ký được tệp PDF" in client.get(response["Location"]).content.decode()
    assert not Access.objects.exists()


def test_the_pdf_is_sealed_by_the_system_certificate_and_verifies(
    world, client, settings, ca, tmp_path
):
    seal = system_seal(settings, world.cast)
    response = signed_in(client, world.user).post(reverse("subject:export_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    # poppler's pdfsig, against an NSS database trusting the simulated CA
    sections = pdfsig_sections(pdf, ca, tmp_path)
    assert len(sections) == 1
    assert VALID in sections[0]
    assert "Common Name: Cổng chữ ký số chuyên dùng công vụ" in sections[0]
    # pyHanko's validation, against the portal's trust material
    (report,) = verify_pdf(pdf)
    assert report.intact and report.covers_document and report.trusted, report.problems
    assert report.signer_serial == seal.serial and report.certificate == seal
    # Vietnamese text with its diacritics, dates as dd/mm/yyyy
    text = text_of(pdf)
    assert "BẢN SAO DỮ LIỆU CÁ NHÂN" in text
    assert world.person.full_name in text
    assert world.person.national_id in text
    assert "17/05/1985" in text
    assert "Thiết bị lưu khóa bạn đang giữ" in text
    assert Access.objects.get().reason == "Chủ thể tải bản sao PDF"


def test_the_collection_caps_nothing_of_a_small_subject(world):
    data = subject_data(world.person)
    assert not any(group.truncated for group in data.groups)
    assert subject_json(data)["subject"]["person_id"] == world.person.pk


def test_the_log_shows_the_portals_reason_for_a_copy_in_each_readers_language(world, client):
    signed_in(client, world.user).post(reverse("subject:export_json"))
    access = Access.objects.get()
    assert access.reason == "Chủ thể tải bản sao JSON"  # the audited text: Vietnamese
    assert access_verify() == []

    for reader, url in ((world.user, "privacy:my_accesses"), (officer(), "privacy:accesses")):
        signed_in(client, reader)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        assert "Chủ thể tải bản sao JSON" in client.get(reverse(url)).content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(reverse(url)).content.decode()
        assert "The subject downloaded a JSON copy" in english
        assert "Chủ thể tải bản sao" not in english
        detail = client.get(reverse("privacy:access_detail", args=[access.pk])).content.decode()
        if url == "privacy:accesses":
            assert "The subject downloaded a JSON copy" in detail


def test_a_reason_data_changed_behind_the_portals_back_is_found(world, client):
    signed_in(client, world.user).post(reverse("subject:export_json"))
    Access.objects.update(reason_data={"code": "Quản trị viên xem dữ liệu"})
    assert [problem.message for problem in access_verify()] == ["reason_data differs"]
