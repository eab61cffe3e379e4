"""The province's inbox and the CA's queue, as their tests read them."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from requests_app.models import CertRequest

INBOX = reverse("requests_app:province_inbox")
CA_QUEUE = reverse("requests_app:ca_queue")


def due_in(cert_request, days: int):
    CertRequest.objects.filter(pk=cert_request.pk).update(
        due_on=timezone.localdate() + timedelta(days=days)
    )
    return cert_request


def listed(response) -> list[int]:
    return [letter.pk for letter in response.context["letters"]]
