"""Registry pages and downloads: permission matrix, filters, query budget; public CA endpoints."""

import re
from datetime import timedelta

import pytest
from cryptography import x509
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.choices import CertStatus, RevocationReason, SubjectKind
from devices.choices import DeviceKind
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# Who may open agency A's subscriber's certificate (docs/architecture.md §5: out of scope is 404).
MATRIX = [
    ("clerk_a", 200),
    ("head_a", 200),
    ("clerk_b", 404),
    ("clerk_c", 404),
    ("officer_1", 200),
    ("officer_2", 404),
    ("ca_operator", 200),
    ("subscriber_user", 200),
    ("admin", 200),
]
PAGES = ["detail", "cer", "pem"]


@pytest.fixture
def certificate(issue, cast):
    device = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber)
    return issue(device=device)


def url(name, certificate):
    return reverse(f"certificates:{name}", args=[certificate.serial])


@pytest.mark.parametrize("page", [*PAGES, "list"])
def test_anonymous_is_sent_to_the_login_page(client, certificate, page):
    target = reverse("certificates:list") if page == "list" else url(page, certificate)

    response = client.get(target)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("who", "expected"), MATRIX)
@pytest.mark.parametrize("page", PAGES)
def test_the_permission_matrix_of_a_certificate(client, cast, certificate, who, expected, page):
    sign_in(client, getattr(cast, who))

    response = client.get(url(page, certificate))

    assert response.status_code == expected


@pytest.mark.parametrize(("who", "expected"), MATRIX)
def test_the_list_shows_a_certificate_to_whoever_may_see_it(
    client, cast, certificate, who, expected
):
    sign_in(client, getattr(cast, who))

    response = client.get(reverse("certificates:list"))

    assert response.status_code == 200
    assert (certificate.serial in response.content.decode()) == (expected == 200)


def test_a_subscriber_sees_only_their_own(client, cast, issue):
    colleague = f.PersonFactory(organization=cast.unit_a)
    theirs = issue(person=colleague)
    sign_in(client, cast.subscriber_user)

    assert client.get(url("detail", theirs)).status_code == 404
    assert client.get(url("cer", theirs)).status_code == 404
    assert theirs.serial not in client.get(reverse("certificates:list")).content.decode()


def test_downloads_are_the_certificate_in_der_and_pem(client, cast, certificate):
    sign_in(client, cast.clerk_a)

    der = client.get(url("cer", certificate))
    pem = client.get(url("pem", certificate))

    assert der["Content-Type"] == "application/pkix-cert"
    assert f'filename="{certificate.serial}.cer"' in der["Content-Disposition"]
    assert der.content == bytes(certificate.der)
    assert pem["Content-Type"] == "application/x-pem-file"
    assert x509.load_pem_x509_certificate(pem.content) == x509.load_der_x509_certificate(
        der.content
    )


def test_a_registry_row_without_x509_has_no_download(client, cast):
    row = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    sign_in(client, cast.clerk_a)

    assert client.get(url("detail", row)).status_code == 200
    assert client.get(url("cer", row)).status_code == 404


def test_the_detail_shows_chain_and_history(client, cast, certificate, ca):
    renewed = services.certificate_renew(certificate=certificate, by=cast.officer_1)
    changed = services.certificate_change_info(
        certificate=renewed, by=cast.officer_1, common_name="Nguyễn Văn Đổi Tên"
    )
    services.certificate_revoke(
        certificate=changed, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )
    sign_in(client, cast.clerk_a)

    page = client.get(url("detail", changed)).content.decode()

    assert ca.issuing.name in page and ca.root.name in page
    positions = [page.index(label) for label in ("Cấp mới", "Gia hạn", "Thay đổi thông tin")]
    assert positions == sorted(positions)
    assert page.index("Thay đổi thông tin") < page.rindex("Thu hồi")
    for serial in (certificate.serial, renewed.serial, changed.serial):
        assert serial in page
    assert "Thôi việc" in page
    assert (
        changed.not_after.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y") in page
    )
    old_page = client.get(url("detail", certificate)).content.decode()
    assert renewed.serial in old_page  # "được thay bằng"


# --- filters -------------------------------------------------------------------------------
@pytest.fixture
def registry(cast):
    now = timezone.now()
    token = f.DeviceFactory(agency=cast.agency_a, kind=DeviceKind.USB_TOKEN)
    sim = f.DeviceFactory(
        agency=cast.agency_b,
        kind=DeviceKind.SIM_PKI,
        serial="SIM0001",
        iccid="8984040000000000001",
        phone="0912345678",
        carrier="viettel",
    )
    rows = {
        "a_person": f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a, device=token),
        "a_org": f.CertificateFactory(
            subject_kind=SubjectKind.ORGANIZATION,
            person=None,
            agency=cast.agency_a,
            common_name=cast.agency_a.name,
            email="",
            not_after=now + timedelta(days=20),
        ),
        "b_person": f.CertificateFactory(
            person=f.PersonFactory(organization=cast.agency_b), agency=cast.agency_b, device=sim
        ),
        "c_revoked": f.CertificateFactory(
            person=f.PersonFactory(organization=cast.agency_c),
            agency=cast.agency_c,
            status=CertStatus.REVOKED,
            revoked_at=now,
            revocation_reason=RevocationReason.RESIGNED,
        ),
    }  # fmt: skip
    return rows


def listed(client, user, **params) -> set[str]:
    sign_in(client, user)
    response = client.get(reverse("certificates:list"), params)
    assert response.status_code == 200
    return {c.serial for c in response.context["certificates"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"a_person", "a_org", "b_person", "c_revoked"}),
        ({"agency": "agency_a"}, {"a_person", "a_org"}),
        ({"province": "province_2"}, {"c_revoked"}),
        ({"subject_kind": SubjectKind.ORGANIZATION}, {"a_org"}),
        ({"status": CertStatus.REVOKED}, {"c_revoked"}),
        ({"expiring_within": 30}, {"a_org"}),
        ({"device_kind": DeviceKind.SIM_PKI}, {"b_person"}),
        ({"device_kind": DeviceKind.USB_TOKEN, "agency": "agency_a"}, {"a_person"}),
        ({"q": "a_person"}, {"a_person"}),
    ],
)
def test_the_list_filters(client, cast, registry, params, expected):
    resolved = {}
    for key, value in params.items():
        if key in ("agency", "province"):
            value = getattr(cast, value).pk
        if key == "q":
            value = registry[value].serial
        resolved[key] = value

    assert listed(client, cast.ca_operator, **resolved) == {registry[k].serial for k in expected}


def test_filters_never_widen_the_scope(client, cast, registry):
    assert listed(client, cast.clerk_a, province=cast.province_2.pk) == set()
    # An agency outside the clerk's scope is not a valid choice: nothing is listed.
    assert listed(client, cast.clerk_a, agency=cast.agency_c.pk) == set()
    assert listed(client, cast.officer_1) == {
        registry[k].serial for k in ("a_person", "a_org", "b_person")
    }


def test_the_ca_chooses_agencies_province_by_province(client, cast, registry):
    sign_in(client, cast.ca_operator)

    page = client.get(reverse("certificates:list"), {"province": cast.province_1.pk})
    options = dict(page.context["filter"].form.fields["agency"].widget.choices)

    assert cast.agency_a.pk in options and cast.agency_b.pk in options
    assert cast.agency_c.pk not in options


def test_htmx_gets_only_the_table(client, cast, registry):
    sign_in(client, cast.ca_operator)

    response = client.get(reverse("certificates:list"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert registry["a_person"].serial.encode() in response.content


def test_htmx_brings_the_agency_choices_of_the_province_chosen(client, cast, registry):
    """The filter bar is not in the fragment: without its agency select swapped out of band,
    a CA operator who chose a province would still be offered the ministries only."""
    sign_in(client, cast.ca_operator)

    response = client.get(
        reverse("certificates:list"),
        {"province": cast.province_1.pk},
        headers={"HX-Request": "true"},
    )

    select = re.search(r'<select name="agency"[^>]*>.*?</select>', response.content.decode(), re.S)
    assert select is not None
    assert 'id="id_agency"' in select.group(0) and 'hx-swap-oob="true"' in select.group(0)
    assert f'value="{cast.agency_a.pk}"' in select.group(0)
    assert f'value="{cast.agency_c.pk}"' not in select.group(0)
    full = client.get(reverse("certificates:list"), {"province": cast.province_1.pk})
    assert b"hx-swap-oob" not in full.content


@pytest.mark.parametrize("who", ["ca_operator", "clerk_a", "officer_1"])
def test_the_list_costs_the_same_queries_for_10_or_100_rows(client, cast, who):
    token = f.DeviceFactory(agency=cast.agency_a)
    for _ in range(120):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a, device=token)
    sign_in(client, getattr(cast, who))

    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("certificates:list"), {"page_size": size})
        assert response.status_code == 200
        assert len(response.context["certificates"]) == size
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


def test_pagination_keeps_the_filters(client, cast):
    for _ in range(12):
        f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    sign_in(client, cast.clerk_a)

    page = client.get(
        reverse("certificates:list"), {"page_size": 10, "status": "valid"}
    ).content.decode()

    # The next page's link carries the filters and a cursor, never a page number.
    assert re.search(r'href="\?page_size=10&amp;status=valid&amp;cursor=[^"&]+" rel="next"', page)
    assert "page=2" not in page


# --- public CA endpoints -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["crl", "crl_pem", "chain"])
def test_the_ca_artefacts_are_public(client, ca, name):
    assert client.get(reverse(f"certificates:{name}")).status_code == 200


def test_the_chain_holds_the_issuing_ca_then_the_root(client, ca):
    chain = x509.load_pem_x509_certificates(client.get(reverse("certificates:chain")).content)

    assert [c.serial_number for c in chain] == [
        int(ca.issuing.serial, 16),
        int(ca.root.serial, 16),
    ]
    chain[0].verify_directly_issued_by(chain[1])


def test_the_ca_certificate_is_downloadable_by_its_aia_url(client, ca):
    response = client.get(reverse("certificates:authority_cert", args=[ca.issuing.pk]))

    assert response["Content-Type"] == "application/pkix-cert"
    assert response.content == bytes(ca.issuing.certificate_der)
    assert client.get(reverse("certificates:authority_cert", args=[999])).status_code == 404


def test_ocsp_get_on_the_post_url_is_not_allowed(client, ca):
    assert client.get(reverse("certificates:ocsp")).status_code == 405


def test_an_oversized_ocsp_request_is_refused(client, ca):
    response = client.post(
        reverse("certificates:ocsp"), b"0" * 20000, content_type="application/ocsp-request"
    )
    assert response.status_code == 400


def test_an_invalid_filter_lists_nothing_and_says_why(client, cast, registry):
    sign_in(client, cast.ca_operator)

    response = client.get(reverse("certificates:list"), {"expiring_within": "abc"})

    assert response.status_code == 200
    assert list(response.context["certificates"]) == []
    assert response.context["filter"].form.errors
