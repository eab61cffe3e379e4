"""Vietnamese pages carry no English message of Django's or its admin's: the list is every msgid
of Django's own catalogues (django/conf/locale and django/contrib/admin/locale), and the pages
are the admin's (index, every list, add, change and history form) and the portal's pages that
print Django's messages (the certificate picker's time left). Django's Vietnamese catalogues
lack many of them; the portal's catalogue supplies them (portal/django_messages.py)."""

import contextlib
import html
import re
from datetime import timedelta
from pathlib import Path

import django
import pytest
from django.conf import global_settings
from django.contrib import admin
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from requests_app.choices import FormKind
from tests import factories as f
from tests.factories import certificate_valid_for, letter_draft
from tests.helpers import HTMX, sign_in

pytestmark = pytest.mark.django_db

DJANGO = Path(django.__file__).parent
CATALOGUES = (
    DJANGO / "conf/locale/en/LC_MESSAGES/django.po",
    DJANGO / "contrib/admin/locale/en/LC_MESSAGES/django.po",
)
# A language's name is shown in that language on purpose (the language switch).
LANGUAGE_NAMES = {str(name) for _code, name in global_settings.LANGUAGES}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")
# Permission names are rows that `migrate` writes in English ("Can add log entry"): data the
# admin lists, not messages it translates.
PERMISSION = re.compile(r"^.+ \| .+ \| Can (add|change|delete|view) ")


def _entries(po: str):
    for block in po.split("\n\n"):
        if "msgctxt" in block:  # month and weekday abbreviations ("Thu", "May"), by context
            continue
        for key in ("msgid", "msgid_plural"):
            match = re.search(rf'^{key} ((?:".*"\n?)+)', block, re.M)
            if match:
                text = "".join(re.findall(r'"(.*)"', match.group(1)))
                yield text.replace('\\"', '"')


def english_messages() -> dict[str, re.Pattern]:
    """Each English message, as a pattern that finds it on a page (its placeholders matching
    anything, its markup removed as the page's text is)."""
    patterns = {}
    for path in CATALOGUES:
        for msgid in _entries(path.read_text()):
            text = re.sub(r"<[^>]+>", "", msgid).strip()
            words = re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", text))
            if not words or text in LANGUAGE_NAMES:
                continue
            body = PLACEHOLDER.sub("\0", text)
            body = re.escape(body).replace("\\\0", ".+?").replace("\0", ".+?")
            if " " not in text:  # one word: the whole text of an element ("Sidebar", "User:")
                patterns[msgid] = re.compile(rf"^{body}:?$")
            else:
                patterns[msgid] = re.compile(rf"(?<!\w){body}(?!\w)")
    return patterns


def page_texts(markup: str) -> list[str]:
    """What a person reads or a screen reader says: text between tags and the text attributes."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", markup, flags=re.S)
    texts = re.sub(r"<[^>]+>", "\n", markup).split("\n")
    texts += re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', markup)
    texts += re.findall(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', markup)
    texts = (" ".join(html.unescape(text).split()) for text in texts)
    return [text for text in texts if text and not PERMISSION.match(text)]


def untranslated(markup: str) -> set[str]:
    found = set()
    messages = english_messages()
    for text in page_texts(markup):
        found |= {msgid for msgid, pattern in messages.items() if pattern.search(text)}
    return found


def admin_pages() -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            for view in ("change", "history", "delete"):
                with contextlib.suppress(NoReverseMatch):
                    urls.append(reverse(f"{name}_{view}", args=[first.pk]))
    return urls


def test_the_list_finds_an_english_admin_message_left_in_a_page():
    """The check itself can fail: Django's English wherever it stands."""
    assert untranslated('<a href="#content-start">Skip to main content</a>') == {
        "Skip to main content"
    }
    assert untranslated('<button title="Toggle theme (current theme: auto)"></button>') == {
        "Toggle theme (current theme: auto)"
    }
    assert untranslated("<p>còn 4 years, 11 months</p>") >= {"%(num)d years", "%(num)d months"}
    assert untranslated("<label>User:</label>") == {"User"}
    assert untranslated("<p>Thu hồi</p><p>Tiếng Việt</p><p>English</p>") == set()


def test_the_admin_pages_show_no_english_message_of_django_in_vietnamese(client, cast):
    device = f.DeviceFactory(agency=cast.agency_a)
    certificate_valid_for(cast, person=f.PersonFactory(organization=cast.unit_a), device=device)
    sign_in(client, cast.admin)
    leaks = {}
    for url in admin_pages():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        if response.status_code != 200:
            continue  # an action the admin offers nobody (add a read-only record)
        assert response["Content-Language"] == "vi"
        found = untranslated(response.content.decode())
        if found:
            leaks[url] = sorted(found)
    assert leaks == {}


def test_the_admin_names_the_portal_not_django(client, cast):
    sign_in(client, cast.admin)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Django" not in re.sub(r"<[^>]+>", " ", page)
    assert "Quản trị cổng chữ ký số" in page


def test_the_certificate_picker_says_the_time_left_in_vietnamese(client, cast):
    renewal = letter_draft(cast, form=FormKind.RENEW_CHANGE)
    person = f.PersonFactory(organization=cast.unit_a)
    certificate = certificate_valid_for(cast, person=person)
    certificate.not_after = timezone.now() + timedelta(days=4 * 365 + 340)
    certificate.save(update_fields=["not_after"])
    sign_in(client, cast.clerk_a)
    response = client.get(
        reverse("requests_app:row_add", args=[renewal.pk]),
        {"chon": certificate.pk},
        HTTP_ACCEPT_LANGUAGE="vi",
        **HTMX,
    )
    page = response.content.decode()
    assert "(còn 4\xa0năm, 11\xa0tháng)" in page
    assert untranslated(page) == set()


@pytest.mark.parametrize(
    ("days", "said"),
    [(3, "3 ngày"), (20, "2 tuần, 6 ngày"), (400, "1 năm, 1 tháng")],
)
def test_time_left_reads_in_vietnamese(days, said):
    with translation.override("vi"):
        then = timezone.now() + timedelta(days=days, minutes=1)
        left = Template("{{ then|timeuntil }}").render(Context({"then": then}))
        assert left.replace("\xa0", " ") == said
