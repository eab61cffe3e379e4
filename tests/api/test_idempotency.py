"""Idempotency keys: a client that retries a POST never creates twice."""

import threading

import pytest
from django.db import connection
from rest_framework.response import Response

from portal.models import IdempotencyKey
from requests_app.api import writes
from requests_app.api.views import CertRequestViewSet
from requests_app.models import CertRequest
from tests.api.calls import api_as
from tests.helpers import postgresql_only
from tests.requests_app.letters import CONTACT

URL = "/api/v1/van-ban/"


def body(cast, **extra):
    return {"form": "01", "agency": cast.agency_a.pk, "contact": CONTACT, **extra}


def post(client, data, key):
    return client.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retried_post_with_the_same_key_creates_once(cast):
    client = api_as(cast.clerk_a)
    first = post(client, body(cast), "k-1")
    again = post(client, body(cast), "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CertRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422_problem(cast):
    client = api_as(cast.clerk_a)
    post(client, body(cast), "k-1")
    response = post(client, body(cast, form="02"), "k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_mismatch"
    assert CertRequest.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_each_post_acts(cast):
    client = api_as(cast.clerk_a)
    post(client, body(cast), "")
    post(client, body(cast), "")
    assert CertRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_post_leaves_no_key_so_a_corrected_retry_may_use_it(cast):
    client = api_as(cast.clerk_b)
    assert post(client, body(cast), "k-1").status_code == 403
    assert CertRequest.objects.count() == 0
    assert not IdempotencyKey.objects.filter(key="k-1").exists()

    corrected = post(client, body(cast, agency=cast.agency_b.pk), "k-1")

    assert corrected.status_code == 201, corrected.json()
    assert "Idempotent-Replayed" not in corrected
    assert CertRequest.objects.filter(agency=cast.agency_b).count() == 1


@pytest.mark.django_db
def test_a_post_that_fails_with_a_server_error_releases_its_key_and_the_retry_acts(
    cast, monkeypatch
):
    create = writes.letter_create

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    client = api_as(cast.clerk_a)
    client.raise_request_exception = False
    monkeypatch.setattr(writes, "letter_create", broken)
    assert post(client, body(cast), "k-1").status_code == 500
    assert not IdempotencyKey.objects.filter(key="k-1").exists()

    monkeypatch.setattr(writes, "letter_create", create)
    retried = post(client, body(cast), "k-1")

    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert CertRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_post_answered_with_a_5xx_keeps_no_answer_to_replay(cast, monkeypatch):
    answer = CertRequestViewSet._answer
    client = api_as(cast.clerk_a)
    monkeypatch.setattr(
        CertRequestViewSet, "_answer", lambda self, *a, **k: Response({}, status=503)
    )
    assert post(client, body(cast), "k-1").status_code == 503
    assert not IdempotencyKey.objects.filter(key="k-1").exists()

    monkeypatch.setattr(CertRequestViewSet, "_answer", answer)
    retried = post(client, body(cast), "k-1")

    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_two_concurrent_posts_with_the_same_key_create_once(transactional_db, cast):
    postgresql_only("two transactions at once (SQLite serialises whole-database writes)")
    client_1, client_2 = api_as(cast.clerk_a), api_as(cast.clerk_a)
    # The two clients share one owner but hold two tokens: the key is the user's.
    barrier, answers = threading.Barrier(2), []

    def call(client):
        try:
            barrier.wait()
            answers.append(post(client, body(cast), "same").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(c,)) for c in (client_1, client_2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CertRequest.objects.count() == 1
    assert sorted(answers) in ([201, 201], [201, 409])
