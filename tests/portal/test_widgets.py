"""QuickSelect writes the very HTML of Django's Select, without a template per option
(docs/scale.md §12.2)."""

import re

import pytest
from django import forms

from portal.lib.widgets import QuickSelect

CHOICES = [
    ("", "Tất cả"),
    (1, 'Sở <Tài> chính & "Kế hoạch"'),
    (2, "Sở Y tế"),
    ("Nhóm <b>", [(3, "Ủy ban nhân dân xã"), (4, "a&b")]),
]
ATTRS = {"id": "id_agency", "class": "filter", "data-autosubmit": True, "disabled": False}


def flat(html: str) -> str:
    """Django's templates put each option on its own line: the same HTML without them."""
    return re.sub(r"\s*\n\s*", "", str(html)).strip()


@pytest.mark.parametrize("value", [None, "", 2, "2", 4, 99])
def test_it_renders_what_djangos_select_renders(value):
    django_html = forms.Select(attrs=ATTRS, choices=CHOICES).render("agency", value)
    quick_html = QuickSelect(attrs=ATTRS, choices=CHOICES).render("agency", value)
    assert flat(quick_html) == flat(django_html)


def test_it_escapes_labels_and_marks_the_chosen_option():
    html = QuickSelect(choices=CHOICES).render("agency", 2)
    assert "&lt;Tài&gt; chính &amp; &quot;Kế hoạch&quot;" in html
    assert '<option value="2" selected>Sở Y tế</option>' in html
    assert '<optgroup label="Nhóm &lt;b&gt;">' in html
    assert "<Tài>" not in html


FILTERSETS = [
    "certificates.filters.CertificateFilterSet",
    "requests_app.filters.CertRequestFilterSet",
    "requests_app.filters_queue.QueueFilterSet",
    "devices.filters.DeviceFilterSet",
    "devices.filters_documents.ObligationFilterSet",
    "portal.filters.NotificationFilterSet",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILTERSETS)
def test_every_plain_select_of_a_list_filter_is_a_quick_select_rendering_djangos_html(path):
    from django.utils.module_loading import import_string

    filterset_class = import_string(path)
    filterset = filterset_class({}, queryset=filterset_class._meta.model.objects.none())
    selects = [f for f in filterset.form.fields.values() if isinstance(f.widget, forms.Select)]
    plain = [f for f in selects if not isinstance(f.widget, forms.SelectMultiple)]
    assert plain, "the filter has no select"
    for field in plain:
        if type(field.widget) is forms.NullBooleanSelect:
            continue
        assert type(field.widget) is QuickSelect, field.label
        django_widget = forms.Select(attrs=field.widget.attrs, choices=field.widget.choices)
        assert flat(field.widget.render("x", "")) == flat(django_widget.render("x", ""))
