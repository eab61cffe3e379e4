"""Charts drawn on the server as inline SVG (docs/statistics.md §10): no script, no CDN, no
style attribute (the Content-Security-Policy allows neither inline script nor inline style),
so they show on the closed government networks, in print and in a PDF alike.

Each chart is an `<svg role="img">` named by its title (`aria-label` and `<title>`); the page
puts the same figures in a table next to it, for screen readers and for copying. Labels are
escaped: they come from the database (agency and province names).
"""

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Colours of successive series (the portal's palette, dark enough on white for text).
PALETTE = ("#1f5fa8", "#a4161a", "#2e7d32", "#b26a00", "#6a3d9a", "#00796b", "#5d4037")
FONT = mark_safe('font-family="Liberation Sans, Arial, sans-serif"')  # noqa: S308 - a constant


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def _number(value: int) -> str:
    """A count as Vietnamese readers write it: 12.345."""
    return f"{value:,}".replace(",", ".")


def _svg(title: str, width: int, height: int, body: list[str]) -> SafeString:
    head = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{}" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMinYMin meet"><title>{}</title>',
        title,
        width,
        height,
        title,
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every part escaped above


def bar_chart(title: str, items: list[tuple[str, int]], *, width: int = 640) -> SafeString:
    """Horizontal bars, one per (label, value), longest value full width; labels on the left
    (long Vietnamese names read better across than under a column)."""
    row, label_width, gap = 26, min(260, width // 2), 8
    height = max(1, len(items)) * row + 10
    top = max((value for _label, value in items), default=0)
    span = width - label_width - 70
    body = []
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        length = round(span * value / top) if top else 0
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12" {}>{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12" {}>{}</text>',
                label_width - gap,
                y + 16,
                FONT,
                _shorten(label, 38),
                label_width,
                y + 3,
                length,
                row - 8,
                PALETTE[index % len(PALETTE)] if len(items) <= 3 else PALETTE[0],
                label,
                _number(value),
                label_width + length + 6,
                y + 16,
                FONT,
                _number(value),
            )
        )
    return _svg(title, width, height, body)


def month_chart(
    title: str, months: list[str], series: list[Series], *, width: int = 640
) -> SafeString:
    """Grouped vertical bars: one group per month, one bar per series, with a legend."""
    height, left, bottom, top_margin = 240, 44, 40, 28
    plot_h = height - bottom - top_margin
    top = max((v for s in series for v in s.values), default=0) or 1
    group = (width - left - 10) / max(1, len(months))
    bar = max(2.0, (group - 6) / max(1, len(series)))
    body = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#9aa3ad"/>'
            '<text x="{}" y="{}" text-anchor="end" font-size="11" {}>{}</text>'
            '<text x="{}" y="{}" text-anchor="end" font-size="11" {}>0</text>',
            left,
            height - bottom,
            width - 10,
            height - bottom,
            left - 4,
            top_margin + 4,
            FONT,
            _number(top),
            left - 4,
            height - bottom,
            FONT,
        )
    ]
    for m, month in enumerate(months):
        x0 = left + m * group + 3
        for s, each in enumerate(series):
            value = each.values[m]
            h = round(plot_h * value / top, 1)
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} {}: {}</title></rect>",
                    round(x0 + s * bar, 1),
                    round(height - bottom - h, 1),
                    round(bar - 1, 1),
                    h,
                    PALETTE[s % len(PALETTE)],
                    each.name,
                    month,
                    _number(value),
                )
            )
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" {}>{}</text>',
                round(x0 + group / 2 - 3, 1),
                height - bottom + 14,
                FONT,
                month,
            )
        )
    x = left
    for s, each in enumerate(series):
        body.append(
            format_html(
                '<rect x="{}" y="6" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="15" font-size="11" {}>{}</text>',
                x,
                PALETTE[s % len(PALETTE)],
                x + 14,
                FONT,
                each.name,
            )
        )
        x += 24 + 7 * len(each.name)
    return _svg(title, width, height, body)


def _shorten(label: str, limit: int) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"
