"""The faster twins of two Django helpers print exactly what Django's own print:
`grouped` against `humanize`'s `intcomma`, `ChoiceLabels` against `get_<field>_display()`."""

from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.template import Context, Template
from django.utils import translation

from certificates.models import Certificate
from devices.models import Device
from portal.templatetags.numbers import grouped
from requests_app.choices import Status
from requests_app.models import CertRequest

NUMBERS = [0, 7, -7, 999, 1000, -1000, 12345, 999_999, 1_000_000, -1_234_567, 10**12 + 1]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_grouped_prints_what_intcomma_prints(language):
    with translation.override(language):
        for number in NUMBERS:
            assert grouped(number) == intcomma(number), number


def test_grouped_uses_each_language_own_separator():
    with translation.override("vi"):
        assert grouped(1234567) == "1.234.567"
    with translation.override("en"):
        assert grouped(1234567) == "1,234,567"


@pytest.mark.parametrize("value", [True, 1234.5, Decimal("1234.50"), "1234", None, "abc"])
def test_grouped_leaves_anything_but_an_integer_to_intcomma(value):
    with translation.override("vi"):
        assert grouped(value) == intcomma(value)


def test_grouped_in_a_template_is_not_escaped_twice():
    with translation.override("vi"):
        html = Template("{% load numbers %}{{ n|grouped }}").render(Context({"n": 1234}))
    assert html == "1.234"


@pytest.mark.parametrize("model", [CertRequest, Certificate, Device])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_choice_labels_match_django_for_every_choice(model, language):
    with translation.override(language):
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value, _label in field.flatchoices:
                instance = model(**{field.attname: value})
                expected = models.Model._get_FIELD_display(instance, field)
                assert getattr(instance, f"get_{field.name}_display")() == expected


def test_choice_labels_follow_the_active_language():
    letter = CertRequest(status=Status.DRAFT)
    with translation.override("vi"):
        vietnamese = letter.get_status_display()
    with translation.override("en"):
        english = letter.get_status_display()
    assert vietnamese == str(Status.DRAFT.label) != english


def test_a_value_outside_the_choices_shows_as_itself():
    assert CertRequest(status="unheard-of").get_status_display() == "unheard-of"
