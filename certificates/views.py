"""Registry pages, certificate downloads and the CA's public endpoints (CRL, chain, OCSP).

Registry pages and downloads are scoped by `Certificate.objects.visible_to(user)`: out of
scope is 404. The CRL, the CA certificates and OCSP are public, as relying parties (a PDF
reader checking a signature) fetch them without an account. No cryptography here: X.509 work
is in the services and the CA backend.
"""

import base64
import binascii
from urllib.parse import unquote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from agencies.access import scope_for
from agencies.choices import Role
from certificates import services
from certificates.choices import CertStatus, KeyAlgorithm
from certificates.exceptions import CertificateError
from certificates.exports import export_certificates
from certificates.filters import CertificateFilterSet
from certificates.forms import RegisteredRevocationForm
from certificates.models import (
    Certificate,
    CertificateAuthority,
    CertificateEvent,
    DeviceKey,
    RegisteredRevocation,
)
from certificates.pem import der_to_pem
from certificates.signing.files import safe_pdf_filename
from portal.lib.exports import export_query, wants_export
from portal.lib.paging import Jump, keyset_paginate
from portal.replica import replica_reads

OCSP_MAX_REQUEST_BYTES = 16 * 1024
# Who takes bulk actions besides the CA operator (docs/bulk.md, "Actions").
BULK_ROLES = frozenset({Role.AGENCY_CLERK, Role.PROVINCIAL_OFFICER})
# A TimeStampReq is about 100 bytes (SHA-512 imprint, nonce, policy): a few KiB is plenty.
TSA_MAX_REQUEST_BYTES = 4 * 1024


def _download(body: bytes | str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- registry pages ------------------------------------------------------------------------
@login_required
@require_GET
@replica_reads
def certificate_list(request):
    base = Certificate.objects.visible_to(request.user).for_registry()
    filterset = CertificateFilterSet(request.GET or None, queryset=base, request=request)
    # An invalid filter (an agency out of scope, a bad number) lists nothing rather than
    # silently dropping the filter; the form shows why.
    rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else base.none()
    if wants_export(request):
        return export_certificates(rows, request=request)
    # Newest first, walked by a cursor on (not_before, id): cert_not_before_idx serves every
    # page however deep, and a jump goes to a day (docs/scale.md §12.2).
    paging = keyset_paginate(
        request, rows.order_by("-not_before", "-pk"), jump=Jump("not_before", _("Cấp đến ngày"))
    )
    context = {
        "filter": filterset,
        "certificates": paging["page"].object_list,
        "export_query": export_query(request),
        # "Thao tác hàng loạt" carries the filter to the bulk page (docs/bulk.md): the CA
        # operator's revocation and reminder, the officer's reminder, the clerk's drafts.
        "may_bulk": scope_for(request.user).is_ca
        or bool(scope_for(request.user).roles & BULK_ROLES),
        **paging,
    }
    if request.htmx:
        # The filter bar is not in the fragment, yet its agency choices follow the province
        # chosen (agency_choices_within_scope): its select comes along, swapped out of band.
        filterset.form.fields["agency"].widget.attrs["hx-swap-oob"] = "true"
        context["agency_out_of_band"] = True
        return render(request, "certificates/partials/_certificate_table.html", context)
    return render(request, "certificates/certificate_list.html", context)


def _visible_certificate(request, serial: str) -> Certificate:
    return get_object_or_404(
        Certificate.objects.visible_to(request.user)
        .select_related("agency", "agency__province", "person", "subject_organization", "device")
        .with_key_at_risk(),
        serial=serial,
    )


@login_required
@require_GET
def certificate_detail(request, serial: str):
    certificate = _visible_certificate(request, serial)
    chain = []
    if certificate.issuer_id:
        authority = CertificateAuthority.objects.public().get(pk=certificate.issuer_id)
        while authority is not None:
            chain.append(authority)
            authority = (
                CertificateAuthority.objects.public().filter(pk=authority.parent_id).first()
                if authority.parent_id
                else None
            )
    visible = Certificate.objects.visible_to(request.user)
    lineage = list(
        visible.lineage_of(certificate)
        .select_related("superseded_by")
        .defer("der")
        .order_by("not_before", "pk")
    )
    history = CertificateEvent.objects.for_lineage_of(certificate).filter(
        certificate__in=[c.pk for c in lineage]
    )
    return render(
        request,
        "certificates/certificate_detail.html",
        {
            "certificate": certificate,
            "chain": chain,
            "lineage": lineage,
            "history": history,
            "key_algorithm": _key_algorithm_label(certificate),
            "may_register_revocation": (
                certificate.status == CertStatus.VALID and scope_for(request.user).is_ca
            ),
            # The requesting letters of a registered revocation: the CA's only (a police
            # letter is not the agency's to read).
            "registered_revocations": (
                certificate.registered_revocations.defer("letter_pdf").select_related("approval")
                if scope_for(request.user).is_ca
                else []
            ),
            # An open request about it, whoever filed it: the old agency sees that a person
            # moving away has a move pending for its certificate (docs/domain.md §5.3.1).
            "open_rows": certificate.request_rows.filter(is_open=True).select_related(
                "cert_request__agency"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificate_revocation_register(request, serial: str):
    """A revocation asked for by a competent authority or by the CA itself (Decree 68 Art. 18,
    docs/domain.md §5.5): CA operators only (out of scope 404, anyone else 403)."""
    certificate = _visible_certificate(request, serial)
    if not scope_for(request.user).is_ca:
        raise PermissionDenied
    form = RegisteredRevocationForm(
        request.POST or None, request.FILES or None, certificate=certificate
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        serials = form.serials()
        others = list(
            Certificate.objects.visible_to(request.user)
            .filter(serial__in=serials)
            .exclude(pk=certificate.pk)
            .select_related("person__user", "device")
        )
        missing = sorted(set(serials) - {c.serial for c in others} - {certificate.serial})
        if missing:
            form.add_error(
                "other_serials",
                _("Không tìm thấy chứng thư: %(serials)s.") % {"serials": ", ".join(missing)},
            )
        else:
            try:
                registered = services.certificate_revocation_register(
                    certificates=[certificate, *others],
                    requester=data["requester"],
                    authority_name=data["authority_name"],
                    letter_number=data["letter_number"],
                    letter_date=data["letter_date"],
                    reason=data["reason"],
                    note=data["note"],
                    letter=data["letter"],
                    letter_name=data["letter"].name,
                    by=request.user,
                )
            except CertificateError as exc:
                form.add_error(None, exc.message)
            else:
                if registered.approval_id:
                    message = _(
                        "Đã lập đề nghị phê duyệt #%(pk)s: %(n)d chứng thư theo văn bản số "
                        "%(number)s được thu hồi khi một cán bộ CA khác phê duyệt."
                    ) % {"pk": registered.approval_id, "n": 1 + len(others),
                         "number": data["letter_number"]}  # fmt: skip
                else:
                    message = _("Đã thu hồi %(n)d chứng thư theo văn bản số %(number)s.") % {
                        "n": 1 + len(others),
                        "number": data["letter_number"],
                    }
                messages.success(request, message)
                return redirect("certificates:detail", serial=certificate.serial)
    return render(
        request,
        "certificates/revocation_register.html",
        {"certificate": certificate, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def revocation_letter(request, pk: int):
    """The PDF a registered revocation was made on: CA operators only (anyone else 404)."""
    if not scope_for(request.user).is_ca:
        raise Http404
    registered = get_object_or_404(RegisteredRevocation, pk=pk)
    return _download(
        bytes(registered.letter_pdf),
        content_type="application/pdf",
        filename=safe_pdf_filename(registered.letter_name.removesuffix(".pdf")),
    )


def _key_algorithm_label(certificate: Certificate) -> str:
    """Read without loading the key row (whose private half has no business in a view)."""
    if certificate.key_id is None:
        return ""
    value = DeviceKey.objects.filter(pk=certificate.key_id).values_list("algorithm", flat=True)
    return KeyAlgorithm(value.first()).label if value.first() else ""


@login_required
@require_GET
def certificate_download(request, serial: str, fmt: str):
    certificate = _visible_certificate(request, serial)
    if not certificate.der:
        raise Http404("no X.509 behind this registry row")
    if fmt == "pem":
        return _download(
            der_to_pem(certificate.der),
            content_type="application/x-pem-file",
            filename=f"{certificate.serial}.pem",
        )
    return _download(
        bytes(certificate.der),
        content_type="application/pkix-cert",
        filename=f"{certificate.serial}.cer",
    )


# --- public CA endpoints -------------------------------------------------------------------
def _crl_response(crl, fmt: str) -> HttpResponse:
    if fmt == "pem":
        return _download(
            der_to_pem(crl.der, "X509 CRL"),
            content_type="application/x-pem-file",
            filename=f"ca-{crl.authority_id}.crl.pem",
        )
    return _download(
        bytes(crl.der), content_type="application/pkix-crl", filename=f"ca-{crl.authority_id}.crl"
    )


@require_GET
def crl(request, fmt: str = "der"):
    """The CRL of the active issuing CA."""
    try:
        return _crl_response(services.crl_current(), fmt)
    except CertificateError as exc:
        raise Http404(str(exc)) from exc


@require_GET
def authority_crl(request, pk: int, fmt: str = "der"):
    """The CRL of one CA (the URL in its certificates' CRL distribution point)."""
    authority = get_object_or_404(CertificateAuthority.objects.public(), pk=pk)
    return _crl_response(services.crl_current(authority=authority), fmt)


@require_GET
def authority_certificate(request, pk: int):
    """A CA's certificate (the URL in its certificates' CA-issuers access)."""
    authority = get_object_or_404(CertificateAuthority.objects.public(), pk=pk)
    return _download(
        bytes(authority.certificate_der),
        content_type="application/pkix-cert",
        filename=f"ca-{authority.pk}.cer",
    )


@require_GET
def chain(request):
    return _download(
        services.ca_chain_pem(),
        content_type="application/pem-certificate-chain",
        filename="ca-chain.pem",
    )


def _ocsp_answer(request_der: bytes, *, record: bool = False) -> HttpResponse:
    response = HttpResponse(
        services.ocsp_respond(request_der=request_der, record=record),
        content_type="application/ocsp-response",
    )
    response["Cache-Control"] = "no-cache"
    return response


@csrf_exempt
@require_http_methods(["POST"])
def ocsp_post(request):
    """RFC 6960 A.1: the DER request is the body (application/ocsp-request)."""
    if len(request.body) > OCSP_MAX_REQUEST_BYTES:
        return HttpResponseBadRequest("OCSP request too large")
    return _ocsp_answer(request.body, record=True)  # a signing-monitor event (§13)


@require_GET
def ocsp_get(request, encoded: str):
    """RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}."""
    if len(encoded) > OCSP_MAX_REQUEST_BYTES:
        return HttpResponseBadRequest("OCSP request too large")
    try:
        request_der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        request_der = b""  # answered with the "malformed request" status
    return _ocsp_answer(request_der)


def _timestamp_answer(reply: services.TimestampReply) -> HttpResponse:
    # A body that is not a time-stamp request is the client's error (400), answered all the
    # same with an RFC 3161 rejection; any other rejection (badAlg…) is a normal answer.
    response = HttpResponse(
        reply.der,
        content_type="application/timestamp-reply",
        status=400 if reply.failure == "bad_data_format" else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["POST"])
def tsa_post(request):
    """RFC 3161 §3.4: the DER TimeStampReq is the body (application/timestamp-query)."""
    if request.content_type != "application/timestamp-query":
        return _timestamp_answer(
            services.timestamp_refuse(text="Content-Type must be application/timestamp-query")
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > TSA_MAX_REQUEST_BYTES or len(request.body) > TSA_MAX_REQUEST_BYTES:
        return _timestamp_answer(services.timestamp_refuse(text="time-stamp request too large"))
    return _timestamp_answer(services.timestamp_respond(request_der=request.body))
