"""portal.lib.bulk: many rows in one COPY, seen by query counters as one statement."""

import pytest
from django.contrib.auth.models import Group

from orgmerge.models import MergerApplication
from portal.lib.bulk import insert_objects, insert_rows

pytestmark = pytest.mark.django_db


def test_insert_rows_writes_every_row_in_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        written = insert_rows(Group, ["name"], ((f"nhóm {i}",) for i in range(500)))
    assert written == 500
    assert Group.objects.filter(name__startswith="nhóm ").count() == 500
    assert Group.objects.filter(name="nhóm 499").exists()


def test_insert_objects_writes_unsaved_instances(django_assert_num_queries):
    with django_assert_num_queries(1):
        insert_objects(Group, [Group(name="Văn thư"), Group(name="Lãnh đạo")])
    assert sorted(Group.objects.values_list("name", flat=True)) == ["Lãnh đạo", "Văn thư"]


def test_insert_objects_refuses_a_model_whose_fields_need_preparing():
    with pytest.raises(ValueError, match="applied_at|summary"):
        insert_objects(MergerApplication, [])
