"""portal.lib.bulk: many rows in one COPY, seen by query counters as one statement."""

import pytest
from django.contrib.auth.models import Group

from orgmerge.models import MergerApplication
from portal.lib.bulk import (
    create_objects,
    create_rows,
    insert_objects,
    insert_rows,
    update_rows,
)

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


def test_update_rows_gives_each_row_its_own_values_in_one_statement(
    django_assert_num_queries,
):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    first, second = users.create(username="a"), users.create(username="b")

    with django_assert_num_queries(1):
        update_rows(
            get_user_model(),
            ["first_name", "is_staff", "last_login"],
            [(first.pk, "Hằng", True, None), (second.pk, "Đức", False, None)],
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.first_name, first.is_staff) == ("Hằng", True)
    assert (second.first_name, second.is_staff) == ("Đức", False)


def test_update_rows_sets_a_foreign_key_or_clears_it():
    from certificates.models import DeviceKey
    from tests import factories as f

    device = f.DeviceFactory()
    keys = DeviceKey.objects.bulk_create(
        DeviceKey(algorithm="rsa2048", key_id=f"K{i}", public_key_der=b"", private_key_pem=b"")
        for i in range(2)
    )
    keys[1].device = device
    keys[1].save()

    update_rows(DeviceKey, ["device"], [(keys[0].pk, device.pk), (keys[1].pk, None)])

    assert list(DeviceKey.objects.order_by("pk").values_list("device_id", flat=True)) == [
        device.pk,
        None,
    ]


def test_create_objects_sets_the_keys_and_fills_what_save_would(django_assert_max_num_queries):
    from certificates.models import DeviceKey

    keys = [
        DeviceKey(
            algorithm="rsa2048", key_id=f"K{i}", public_key_der=b"\x00\x01", private_key_pem=b""
        )
        for i in range(3)
    ]

    with django_assert_max_num_queries(2):  # the keys drawn, then one COPY
        create_objects(DeviceKey, keys)

    assert all(key.pk for key in keys) and not keys[0]._state.adding
    stored = DeviceKey.objects.get(pk=keys[2].pk)
    assert stored.key_id == "K2" and bytes(stored.public_key_der) == b"\x00\x01"
    assert stored.created_at is not None


def test_create_objects_refuses_a_duplicate_as_an_integrity_error():
    from django.db import IntegrityError, transaction

    from certificates.models import DeviceKey

    def key():
        return DeviceKey(
            algorithm="rsa2048", key_id="SAME", public_key_der=b"", private_key_pem=b""
        )

    with pytest.raises(IntegrityError), transaction.atomic():
        create_objects(DeviceKey, [key(), key()])


def test_create_rows_returns_the_keys_of_the_rows_in_their_order(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the keys drawn, then one COPY
        keys = create_rows(Group, ["name"], [("Văn thư",), ("Lãnh đạo",), ("Chuyên viên",)])

    assert dict(Group.objects.values_list("pk", "name")) == dict(
        zip(keys, ["Văn thư", "Lãnh đạo", "Chuyên viên"], strict=True)
    )
    assert create_rows(Group, ["name"], []) == []
