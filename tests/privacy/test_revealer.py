"""`Revealer.of`, the masked field of a record as a page shows it (privacy/reveal.py;
docs/privacy.md §6): the author of a draft reads what they typed in full, dates dd/mm/yyyy;
anyone else reads the mask, with the reveal control when they may reveal."""

from datetime import date

import pytest

from privacy.masking import declared, is_masked
from privacy.reveal import Revealer, masked_html, reveal_target
from requests_app import services
from requests_app.choices import FormKind

pytestmark = pytest.mark.django_db

CONTACT_ID = "001290004321"


@pytest.fixture
def draft(cast):
    return services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a,
        contact_name="Nguyễn Thị Thu Hà", contact_national_id=CONTACT_ID,
        contact_id_issue_date=date(2021, 3, 4), contact_mobile="0912100101",
        contact_email="ha@laichau.gov.vn",
    )  # fmt: skip


def test_the_author_of_a_draft_reads_its_masked_fields_in_full(cast, draft):
    revealer = Revealer(cast.clerk_a)

    assert revealer.of(draft, "contact_national_id") == CONTACT_ID
    assert revealer.of(draft, "contact_id_issue_date") == "04/03/2021"


def test_another_reader_of_the_draft_reads_the_mask(cast, draft):
    shown = str(Revealer(cast.head_a).of(draft, "contact_national_id"))

    assert CONTACT_ID not in shown and "4321" in shown


def test_every_model_with_a_masked_field_is_registered_for_the_reveal():
    masked_models = {key.rsplit(".", 1)[0] for key in declared() if is_masked(key)}

    assert masked_models  # the inventory masks something
    assert [label for label in sorted(masked_models) if reveal_target(label) is None] == []


def test_a_masked_value_with_no_reveal_names_its_field_and_links_nowhere():
    assert masked_html("agencies.Person.national_id", "********1234") == (
        '<span class="masked" data-masked="agencies.Person.national_id">********1234</span>'
    )


def test_a_reveal_link_with_no_page_to_return_to_is_the_url_alone():
    shown = masked_html(
        "agencies.Person.national_id", "********1234", "/hien/1/", labels=("Hiện", "t")
    )

    assert 'href="/hien/1/"' in shown and 'hx-get="/hien/1/"' in shown
