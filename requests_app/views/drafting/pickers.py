"""The pickers: a person, a certificate or a device to fill a row from."""

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from agencies.models import Person
from agencies.validators import nfc
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device
from portal.field_crypto import blind_index
from portal.lib.folding import folded_contains
from requests_app.models import CertRequest, RequestRow
from requests_app.views.drafting.common import (
    PICK_KIND,
    PICK_LIMIT,
    drafting_view,
    get_letter,
)


def pick_queryset(request, cert_request: CertRequest, kind: str):
    """What a clerk may pick for this letter: the agency's people whose data was not minimised
    (docs/retention.md); its valid certificates (Mẫu 04/05); its locked devices (Mẫu 06).
    Always within what the user may see."""
    user, path = request.user, cert_request.agency.path
    if kind == "person":
        return (
            Person.objects.visible_to(user)
            .identified()
            .within(path)
            .select_related("organization", "organization__province")
            .order_by("full_name", "pk")
        )
    if kind == "certificate":
        return (
            Certificate.objects.visible_to(user)
            .valid()
            .within(path)
            .select_related("agency")
            .defer("der")
            .annotate(
                has_open_request=Exists(
                    RequestRow.objects.open().filter(certificate=OuterRef("pk"))
                )
            )
            .order_by("common_name", "pk")
        )
    return (
        Device.objects.visible_to(user)
        .within(path)
        .filter(status=DeviceStatus.LOCKED)
        .select_related("holder", "agency")
        .order_by("serial", "pk")
    )


def _search(queryset, kind: str, q: str):
    if not q:
        return queryset
    if kind == "person":
        return queryset.filter(
            folded_contains("full_name", q)
            | Q(national_id_index=blind_index(q))  # a whole ID number only: it is encrypted
            | Q(official_email__icontains=q)
        )
    if kind == "certificate":
        return queryset.filter(
            folded_contains("common_name", q) | Q(serial__istartswith=q) | Q(email__icontains=q)
        )
    return queryset.filter(
        Q(serial__icontains=q)
        | Q(phone_index=blind_index(q))  # a whole number only: it is encrypted
        | folded_contains("holder__full_name", q)
    )


@login_required
@require_GET
@drafting_view
def pick(request, pk: int, kind: str):
    """Search fragment of a picker: up to 20 matches, each a button that refills the row form."""
    cert_request = get_letter(request, pk, "edit")
    if PICK_KIND.get(cert_request.form) != kind:
        raise Http404
    q = nfc(request.GET.get("q", ""))[:100]
    results = list(_search(pick_queryset(request, cert_request, kind), kind, q)[:PICK_LIMIT])
    row_pk = request.GET.get("dong", "")
    if row_pk.isdigit():
        form_url = reverse("requests_app:row_edit", args=[cert_request.pk, int(row_pk)])
    else:
        form_url = reverse("requests_app:row_add", args=[cert_request.pk])
    return render(
        request,
        "requests_app/partials/_pick_results.html",
        {
            "kind": kind,
            "results": results,
            "q": q,
            "form_url": form_url,
            "limit": PICK_LIMIT,
            "now": timezone.now(),
        },
    )
