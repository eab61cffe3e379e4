"""A `<select>` whose options are written in Python (docs/scale.md §12.2).

Django's `Select` renders every option through the template engine (an include of
`select_option.html` and of `attrs.html` each): about 0.2 ms an option, so a province's 590
agencies cost 0.3 s of a list page. `QuickSelect` writes the same HTML — the same attributes,
the same escaping, the `selected` mark — from the same walk over the choices, without a
template (tests/portal/test_widgets.py compares the two)."""

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """Django's attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html


class QuickSelect(forms.Select):
    """`forms.Select` with its options rendered in Python (single choice, groups kept): the
    same walk over the choices as Django's `optgroups`, without the dictionary Django builds
    for each option (half the cost of a province's 590 agencies)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        marked = False  # a single choice: only the first option with the value is selected

        def option(value, label) -> str:
            nonlocal marked
            value = "" if value is None else str(value)
            selected = not marked and value in chosen
            marked |= selected
            return (
                f'<option value="{conditional_escape(value)}"{" selected" if selected else ""}>'
                f"{conditional_escape(label)}</option>"
            )

        body = []
        for group, label in self.choices:
            if isinstance(label, (list, tuple)):
                rows = "".join(option(v, sub) for v, sub in label)
                body.append(f'<optgroup label="{conditional_escape(group)}">{rows}</optgroup>')
            else:
                body.append(option(group, label))
        # Every value, label and group name above went through conditional_escape.
        return mark_safe(  # noqa: S308
            f'<select name="{conditional_escape(name)}"'
            f"{_attrs(self.build_attrs(self.attrs, attrs))}>{''.join(body)}</select>"
        )


class QuickSelects:
    """A FilterSet mixin: every plain `Select` of its form renders as a `QuickSelect` (a status
    or kind filter of a dozen options costs a list page a few milliseconds through templates)."""

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            # The form's own deep copy of the widget: only the rendering changes.
            if type(field.widget) is forms.Select:
                field.widget.__class__ = QuickSelect
        return form
