"""Seed the official civil-service calendar decisions that the `holidays` library lacks.

Checked against holidays 0.108 for 2025–2026. Only rows that change the library's answer are
added; days the library already gets right are left to it:
- Tết Nguyên đán 2026 (civil servants off Saturday 14/2 – Sunday 22/2/2026): nothing to add.
  The library has Monday 16/2 – Friday 20/2 as holidays and 14, 15, 21, 22/2 are weekends.
- Tết Dương lịch 2026: Công văn 12729/VPCP-KGVX (25/12/2025) gave civil servants Thursday 1/1
  to Sunday 4/1/2026 off, swapping Friday 2/1 with Saturday 10/1/2026, which was worked.
  The library has 1/1 only. (Source seen: a press report quoting the dispatch; an
  administrator can correct the rows in the admin if the dispatch says otherwise.)
- 2025 (Tết, 30/4–1/5 with Saturday 26/4 worked, 1–2/9) and the rest of 2026 (Giỗ Tổ
  observed on Monday 27/4, 30/4–1/5, 31/8 swapped with Saturday 22/8, 1–2/9): the library
  already has them.
Rows an administrator has already entered for these dates are left untouched.
"""

import datetime

from django.db import migrations

OVERRIDES = [
    (
        datetime.date(2026, 1, 2),
        False,
        "Nghỉ Tết Dương lịch, hoán đổi với thứ Bảy 10/01/2026 (Công văn 12729/VPCP-KGVX)",
    ),
    (
        datetime.date(2026, 1, 10),
        True,
        "Làm bù thứ Bảy cho thứ Sáu 02/01/2026 (Công văn 12729/VPCP-KGVX)",
    ),
]


def seed(apps, schema_editor):
    CalendarOverride = apps.get_model("portal", "CalendarOverride")
    for day, is_working_day, note in OVERRIDES:
        CalendarOverride.objects.get_or_create(
            date=day, defaults={"is_working_day": is_working_day, "note": note}
        )


def unseed(apps, schema_editor):
    CalendarOverride = apps.get_model("portal", "CalendarOverride")
    for day, is_working_day, note in OVERRIDES:
        CalendarOverride.objects.filter(
            date=day, is_working_day=is_working_day, note=note
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_calendar_override"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
