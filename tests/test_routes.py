"""Every route of the portal, NetBox-style: one entry per URL name giving the answer each
persona gets and the most queries any of them costs (docs/architecture.md §5).

The personas are the cast's (tests/conftest.py): nobody signed in, agency A's clerk and head,
agency B's clerk (the same province, another agency), province 1's officer (agency A's
province), province 2's officer, a CA operator, and a subscriber of agency A. The objects are
agency A's (a draft letter and its row, its devices and their Mẫu 07–09, a certificate, a
merger plan and a demand campaign of province 1); an address that needs an object the world
has not got asks for one that does not exist, and must answer 404 to everyone signed in.

A POST route is posted an empty form, in a savepoint rolled back after each persona: bad
input never answers 500, an outsider never gets past the scope. Every route is also posted the
malformed bodies of the fuzz suite (tests/fuzz/bodies.py: JSON nested too deeply, broken
multipart), by a persona that gets past its scope. Each request starts with an
empty cache, so the query count is the first visit's. A new route fails
`test_every_route_has_an_entry` until it is given one; the Django admin's routes are walked
model by model instead (`test_the_admin_is_for_staff_only`).
"""

import copy
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from certificates.models import CertificateAuthority
from orgmerge.services import merger_plan_create
from tests import factories as f
from tests.ca_once import ca_ready
from tests.cast import forget_cached_scopes, module_cast
from tests.demand.world import province_campaign
from tests.devices.helpers import populate
from tests.fuzz.bodies import SHAPES as BODIES
from tests.fuzz.bodies import browser, post, wrong_answer
from tests.helpers import answer, sign_in
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db
PERSONAS = [
    "anonymous",
    "clerk_a",
    "head_a",
    "clerk_b",
    "officer_1",
    "officer_2",
    "ca_operator",
    "subscriber_user",
]
MISSING = 987654  # the primary key of an object that does not exist
REFUSALS = {"login", "401", "403", "404"}  # answers that stop a persona before the view's work


@dataclass(frozen=True)
class Route:
    # the URL's arguments, from the world (None: none)
    args: object
    # the answer of each persona, in PERSONAS order ("login": a redirect to the login page)
    expect: str
    # the most queries a persona's request runs
    queries: int
    post: bool = False


def at(*getters):
    """The URL's arguments: attribute paths of the world ("w.letter.pk"), or literal values."""

    def args(w):
        values = []
        for getter in getters:
            if isinstance(getter, str) and getter.startswith("w."):
                value = w
                for part in getter[2:].split("."):
                    value = getattr(value, part)
                values.append(value)
            else:
                values.append(getter)
        return values

    return args


LETTER = at("w.letter.pk")
ROW = at("w.letter.pk", "w.row.pk")
DEVICE = at("w.device.pk")
SERIAL = at("w.certificate.serial")
PLAN = at("w.plan.pk")
CAMPAIGN = at("w.campaign.pk")
GONE = at(MISSING)
NO_KEY = at("0" * 32)  # a remote-signing credential id nobody has
NO_DESK = at("00000000-0000-4000-8000-000000000000")  # a desk signing request nobody has
AUTHORITY = at("w.authority.pk")
MONTH = at("w.cast.province_1.pk", 2026, 10)
NOTICE = at("notice", "w.notice.pk")
SUMMARY = at("w.campaign.pk", "w.cast.province_1.pk")

R = Route
ROUTES: dict[str, Route] = {
    # dashboard, statistics, monthly reports, the signing-activity monitor
    "dashboard": R(None, "login 200 200 200 200 200 200 200", 10),
    "statistics": R(None, "login 200 200 200 200 200 200 403", 13),
    "monthly_reports:list": R(None, "login 403 403 403 200 200 200 403", 6),
    "monthly_reports:preview": R(None, "login 403 403 403 302 302 403 403", 5),
    "monthly_reports:sign": R(None, "login 403 403 403 302 302 403 403", 5),
    "monthly_reports:desk_prepare": R(MONTH, "login 403 403 403 400 404 403 403", 7, post=True),
    "monthly_reports:desk_complete": R(MONTH, "login 403 403 403 400 404 403 403", 5, post=True),
    "monthly_reports:download": R(GONE, "login 403 403 403 404 404 404 403", 5),
    "signing_monitor": R(None, "login 200 200 200 200 200 200 403", 15),
    "favicon.ico": R(None, "301 301 301 301 301 301 301 301", 4),
    # OAuth 2.0 for the CSC API's clients, and the CSC API: a bearer token, never a session
    # (docs/remote-signing.md)
    "oauth2_provider:authorize": R(None, "login 400 400 400 400 400 400 400", 8),
    "oauth2_provider:token": R(None, "400 400 400 400 400 400 400 400", 4, post=True),
    "oauth2_provider:revoke-token": R(None, "400 400 400 400 400 400 400 400", 4, post=True),
    "remote_signing:mine": R(None, "login 200 200 200 200 200 200 200", 6),
    "remote_signing:activate": R(NO_KEY, "login 404 404 404 404 404 404 404", 5),
    "remote_signing:lock": R(NO_KEY, "login 404 404 404 404 404 404 404", 5, post=True),
    "remote_signing:code_issue": R(NO_KEY, "login 403 403 403 403 403 404 403", 5, post=True),
    "remote_signing:desk_authorize": R(NO_DESK, "login 404 404 404 404 404 404 404", 5),
    "remote_signing:desk_progress": R(NO_DESK, "login 404 404 404 404 404 404 404", 5),
    "remote_signing:phone": R(None, "login 200 200 200 200 200 200 200", 6),
    "remote_signing:phone_answer": R(NO_DESK, "login 302 302 302 302 302 302 302", 6, post=True),
    "remote_signing:csc_info": R(at("v1"), "400 400 400 400 400 400 400 400", 4, post=True),
    "remote_signing:csc_list": R(at("v1"), "401 401 401 401 401 401 401 401", 4, post=True),
    "remote_signing:csc_cred_info": R(at("v2"), "401 401 401 401 401 401 401 401", 4, post=True),
    "remote_signing:csc_authorize": R(at("v1"), "401 401 401 401 401 401 401 401", 4, post=True),
    "remote_signing:csc_sign_hash": R(at("v2"), "401 401 401 401 401 401 401 401", 4, post=True),
    # health checks: anyone (readiness's own checks run on connections of their own)
    "health_live": R(None, "200 200 200 200 200 200 200 200", 4),
    "health_ready": R(None, "200 200 200 200 200 200 200 200", 4),
    # Prometheus: the test client's 127.0.0.1 is in PORTAL_METRICS_ALLOW's default
    "metrics": R(None, "200 200 200 200 200 200 200 200", 10),
    # accounts
    "login": R(None, "200 302 302 302 302 302 302 302", 4),
    "logout": R(None, "login login login login login login login login", 13, post=True),
    "sign_out_everywhere": R(
        None, "login login login login login login login login", 21, post=True
    ),
    "set_language": R(None, "302 302 302 302 302 302 302 302", 3, post=True),
    "accounts:account": R(None, "login 200 200 200 200 200 200 200", 7),
    "accounts:verify": R(None, "login 302 302 302 302 302 302 302", 4),
    "accounts:enrol": R(None, "login 200 200 200 302 302 302 200", 4),
    "accounts:recovery_codes": R(None, "login 302 302 302 302 302 302 302", 5, post=True),
    "accounts:disable": R(None, "login 302 302 302 302 302 302 302", 5, post=True),
    "accounts:api_tokens": R(None, "login 200 200 200 200 200 200 200", 7),
    "accounts:api_token_revoke": R(GONE, "login 404 404 404 404 404 404 404", 5, post=True),
    # the API
    "device-loss": R(DEVICE, "401 400 400 400 400 400 400 400", 4, post=True),
    "certificate-list": R(None, "401 200 200 200 200 200 200 200", 6),
    "certificate-detail": R(SERIAL, "401 200 200 404 200 404 200 404", 6),
    "device-list": R(None, "401 200 200 200 200 200 200 200", 6),
    "device-hand-back": R(None, "401 400 400 400 400 400 400 400", 4, post=True),
    "device-handover": R(None, "401 400 400 400 400 400 400 400", 4, post=True),
    "device-stock-import": R(None, "401 400 400 400 400 400 400 400", 4, post=True),
    "device-detail": R(DEVICE, "401 200 200 404 200 404 200 200", 6),
    "cert-request-list": R(None, "401 200 200 200 200 200 200 200", 6),
    "cert-request-detail": R(LETTER, "401 200 200 404 404 404 404 404", 6),
    # A move writes its webhook event in its own transaction (docs/webhooks.md): one INSERT.
    "cert-request-act": R(
        at("w.letter.pk", "submit"), "401 200 403 404 404 404 404 404", 21, post=True
    ),
    "cert-request-ca-sheet-rows": R(LETTER, "401 400 400 400 400 400 400 400", 4, post=True),
    "cert-request-rows": R(LETTER, "401 200 200 404 404 404 404 404", 6),
    "cert-request-signed-upload": R(LETTER, "401 400 400 400 400 400 400 400", 4, post=True),
    "merger-plan-list": R(None, "401 403 403 403 200 200 403 403", 7),
    "merger-plan-detail": R(PLAN, "401 404 404 404 200 404 404 404", 8),  # + its approval
    "merger-plan-apply": R(PLAN, "401 400 400 400 400 400 400 400", 4, post=True),
    "merger-plan-discard": R(PLAN, "401 404 404 404 200 404 404 404", 21, post=True),
    "deadline-list": R(None, "401 200 200 200 200 200 200 200", 6),
    "deadline-detail": R(GONE, "401 404 404 404 404 404 404 404", 5),
    "bulk-job-list": R(None, "401 200 200 200 200 200 200 200", 8),
    "bulk-job-detail": R(GONE, "401 404 404 404 404 404 404 404", 8),
    "bulk-job-items": R(GONE, "401 404 404 404 404 404 404 404", 8),
    "notification-list": R(None, "401 200 200 200 200 200 200 200", 6),
    "approval-list": R(None, "401 200 200 200 200 200 200 200", 8),
    "approval-detail": R(GONE, "401 404 404 404 404 404 404 404", 8),
    "approval-approve": R(GONE, "401 400 400 400 400 400 400 400", 8, post=True),
    "approval-reject": R(GONE, "401 400 400 400 400 400 400 400", 8, post=True),
    "approval-cancel": R(GONE, "401 404 404 404 404 404 404 404", 8, post=True),
    "notification-read-all": R(None, "401 200 200 200 200 200 200 200", 6, post=True),
    "notification-detail": R(GONE, "401 404 404 404 404 404 404 404", 5),
    "notification-read": R(GONE, "401 404 404 404 404 404 404 404", 5, post=True),
    "api-root": R(None, "401 200 200 200 200 200 200 200", 4),
    "api-schema": R(None, "200 200 200 200 200 200 200 200", 4),
    "api-docs": R(None, "200 200 200 200 200 200 200 200", 4),
    # notifications and export jobs
    "portal:notifications": R(None, "login 200 200 200 200 200 200 200", 7),
    "portal:notification_preferences": R(None, "login 200 200 200 200 200 200 200", 5),
    "portal:notifications_read_all": R(None, "login 302 302 302 302 302 302 302", 5, post=True),
    "portal:notification_read": R(GONE, "login 404 404 404 404 404 404 404", 5, post=True),
    "portal:export_job": R(GONE, "login 404 404 404 404 404 404 404", 5),
    "portal:export_download": R(GONE, "login 404 404 404 404 404 404 404", 5),
    # the simulated CA's public addresses and the certificate registry
    "certificates:crl": R(None, "200 200 200 200 200 200 200 200", 6),
    "certificates:crl_pem": R(None, "200 200 200 200 200 200 200 200", 6),
    "certificates:chain": R(None, "200 200 200 200 200 200 200 200", 5),
    "certificates:authority_crl": R(AUTHORITY, "200 200 200 200 200 200 200 200", 6),
    "certificates:authority_crl_pem": R(AUTHORITY, "200 200 200 200 200 200 200 200", 6),
    "certificates:authority_cert": R(AUTHORITY, "200 200 200 200 200 200 200 200", 5),
    "certificates:ocsp": R(None, "200 200 200 200 200 200 200 200", 4, post=True),
    "certificates:ocsp_get": R(at("MAA="), "200 200 200 200 200 200 200 200", 4),
    "certificates:tsa": R(None, "400 400 400 400 400 400 400 400", 5, post=True),
    "certificates:list": R(None, "login 200 200 200 200 200 200 200", 9),
    "bulk:new": R(None, "login 200 403 200 200 200 200 403", 20),
    # the devices register's (its return reminder: the officer's and the CA operator's)
    "bulk:new_in": R(at("thiet-bi"), "login 403 403 403 200 200 200 403", 20),
    "bulk:detail": R(GONE, "login 404 404 404 404 404 404 404", 8),
    "bulk:progress": R(GONE, "login 404 404 404 404 404 404 404", 8),
    "certificates:detail": R(SERIAL, "login 200 200 404 200 404 200 404", 9),
    "certificates:revocation_register": R(
        SERIAL, "login 403 403 404 403 404 200 404", 5, post=True
    ),
    "certificates:revocation_letter": R(GONE, "login 404 404 404 404 404 404 404", 5),
    "certificates:cer": R(SERIAL, "login 404 404 404 404 404 404 404", 5),
    "certificates:pem": R(SERIAL, "login 404 404 404 404 404 404 404", 5),
    # letters
    "requests_app:list": R(None, "login 200 200 200 200 200 200 200", 8),
    "requests_app:create": R(None, "login 200 403 200 403 403 403 403", 5),
    "requests_app:edit": R(LETTER, "login 200 403 404 404 404 404 404", 8),
    "requests_app:row_add": R(LETTER, "login 302 403 404 404 404 404 404", 5),
    "requests_app:row_show": R(ROW, "login 302 403 404 404 404 404 404", 7),
    "requests_app:row_edit": R(ROW, "login 200 403 404 404 404 404 404", 6),
    # a draft's edit also marks it changed (updated_at: the retention of drafts, docs/retention.md)
    "requests_app:row_delete": R(ROW, "login 302 403 404 404 404 404 404", 16, post=True),
    "requests_app:pick": R(at("w.letter.pk", "person"), "login 200 403 404 404 404 404 404", 6),
    "requests_app:import": R(LETTER, "login 200 403 404 404 404 404 404", 5),
    "requests_app:import_job": R(
        at("w.letter.pk", MISSING), "login 404 403 404 404 404 404 404", 6
    ),
    "requests_app:import_confirm": R(
        at("w.letter.pk", MISSING), "login 404 403 404 404 404 404 404", 6, post=True
    ),
    "requests_app:import_discard": R(
        at("w.letter.pk", MISSING), "login 404 403 404 404 404 404 404", 6, post=True
    ),
    "requests_app:export": R(LETTER, "login 200 200 404 404 404 404 404", 6),
    # with full values: the form page, for the roles that may see them (docs/privacy.md)
    "requests_app:export_full": R(LETTER, "login 200 403 404 404 404 404 404", 6),
    "requests_app:import_template": R(at("mau01"), "login 200 200 200 200 200 200 200", 4),
    "requests_app:signed_upload": R(LETTER, "login 200 200 404 404 404 404 404", 5, post=True),
    # the signing part polled while the PDF is rendered (a draft: nobody signs it yet)
    "requests_app:signing_state": R(LETTER, "login 403 403 404 404 404 404 404", 6),
    "requests_app:desk_wait": R(None, "login 200 200 200 200 200 200 200", 4),
    "requests_app:desk_prepare": R(LETTER, "login 403 400 404 404 404 404 404", 9, post=True),
    "requests_app:desk_complete": R(LETTER, "login 400 400 404 404 404 404 404", 5, post=True),
    "requests_app:detail": R(LETTER, "login 200 200 404 404 404 404 404", 9),
    "requests_app:action": R(  # with the move's webhook event, as cert-request-act
        at("w.letter.pk", "submit"), "login 302 403 404 404 404 404 404", 20, post=True
    ),
    "requests_app:row_decide": R(ROW, "login 302 302 404 404 404 404 404", 7, post=True),
    "requests_app:progress": R(LETTER, "login 200 200 404 404 404 404 404", 6),
    "requests_app:document": R(at("w.letter.pk", 1), "login 404 404 404 404 404 404 404", 6),
    # a download records its access: the subjects, the audit event, the access and its
    # subjects in one insert each (docs/privacy.md, "Exports, API and documents")
    "requests_app:docx": R(LETTER, "login 200 200 404 404 404 404 404", 15),
    "requests_app:pdf_preview": R(LETTER, "login 200 200 404 404 404 404 404", 15),
    # a draft has no signed version: its package is refused on the page
    "exchange:edxml": R(LETTER, "login 302 302 404 404 404 404 404", 7),
    "exchange:edxml_upload": R(None, "login 200 200 200 200 200 200 403", 8),
    "exchange:edxml_status": R(GONE, "login 404 404 404 404 404 404 404", 6),
    "requests_app:verify": R(LETTER, "login 302 302 404 404 404 404 404", 5, post=True),
    "exchange:mail_resend": R(
        at("w.letter.pk", MISSING), "login 404 404 404 404 404 404 404", 6, post=True
    ),
    "requests_app:validation_report_json": R(LETTER, "login 404 404 404 404 404 404 404", 5),
    "requests_app:validation_report_pdf": R(LETTER, "login 404 404 404 404 404 404 404", 5),
    "requests_app:province_inbox": R(None, "login 403 403 403 200 200 403 403", 7),
    "requests_app:ca_queue": R(None, "login 403 403 403 403 403 200 403", 7),
    "paperwork:device_recovery": R(DEVICE, "login 403 403 404 403 404 403 403", 5, post=True),
    "paperwork:device_report_loss": R(DEVICE, "login 200 403 404 403 404 403 403", 6),
    "paperwork:device_document_signed_pdf": R(NOTICE, "login 404 404 404 404 404 404 404", 6),
    "paperwork:device_desk_prepare": R(NOTICE, "login 403 400 404 403 404 403 404", 26, post=True),
    "paperwork:device_desk_complete": R(NOTICE, "login 400 400 404 400 404 400 404", 5, post=True),
    "paperwork:return_minutes_receiver_desk_prepare": R(
        at("w.minutes.pk"), "login 403 403 404 403 404 400 404", 16, post=True
    ),
    "paperwork:return_minutes_receiver_desk_complete": R(
        at("w.minutes.pk"), "login 400 400 404 400 404 400 404", 5, post=True
    ),
    # devices and their Mẫu 07-09
    "devices:list": R(None, "login 200 200 200 200 200 200 200", 9),
    "devices:export_full": R(None, "login 200 403 200 200 200 200 403", 6),
    "devices:agency": R(at("w.cast.agency_a.pk"), "login 200 200 404 200 404 200 404", 7),
    "devices:province": R(at("w.cast.province_1.pk"), "login 404 404 404 200 404 200 404", 8),
    "devices:stock": R(None, "login 403 403 403 403 403 200 403", 6),
    "devices:stock_import": R(None, "login 403 403 403 403 403 200 403", 4),
    "devices:stock_template": R(None, "login 403 403 403 403 403 200 403", 4),
    "devices:stock_import_job": R(GONE, "login 403 403 403 403 403 404 403", 5),
    "devices:stock_import_confirm": R(GONE, "login 403 403 403 403 403 404 403", 5, post=True),
    "devices:stock_import_discard": R(GONE, "login 403 403 403 403 403 404 403", 5, post=True),
    "devices:detail": R(DEVICE, "login 200 200 404 200 404 200 200", 14),
    "devices:lock": R(DEVICE, "login 302 403 404 403 404 403 403", 15, post=True),
    "devices:collect": R(DEVICE, "login 403 403 404 403 404 403 403", 5, post=True),
    "devices:pin_envelope": R(DEVICE, "login 403 403 404 403 404 302 403", 9, post=True),
    "devices:handover": R(None, "login 200 403 200 403 403 403 403", 6),
    "devices:notice_list": R(None, "login 200 200 200 200 200 200 403", 8),
    # a sent document's page reads its e-mails to the receiving side: one query (docs/mail.md)
    "devices:notice_detail": R(at("w.notice.pk"), "login 200 200 404 200 404 200 404", 9),
    "devices:notice_print": R(at("w.notice.pk"), "login 200 200 404 200 404 200 404", 6),
    "devices:notice_pdf": R(at("w.notice.pk"), "login 200 200 404 200 404 200 404", 8),
    "devices:notice_docx": R(at("w.notice.pk"), "login 200 200 404 200 404 200 404", 6),
    "devices:notice_mail_resend": R(
        at("w.notice.pk", MISSING), "login 404 404 404 404 404 404 404", 6, post=True
    ),
    "devices:returns": R(None, "login 200 200 200 200 200 200 403", 8),
    "devices:minutes_list": R(None, "login 200 200 200 200 200 200 403", 8),
    "devices:minutes_create": R(None, "login 200 403 200 403 403 403 403", 7),
    "devices:minutes_detail": R(at("w.minutes.pk"), "login 200 200 404 200 404 200 404", 10),
    "devices:minutes_print": R(at("w.minutes.pk"), "login 200 200 404 200 404 200 404", 6),
    "devices:minutes_pdf": R(at("w.minutes.pk"), "login 200 200 404 200 404 200 404", 8),
    "devices:minutes_docx": R(at("w.minutes.pk"), "login 200 200 404 200 404 200 404", 6),
    "devices:minutes_mail_resend": R(
        at("w.minutes.pk", MISSING), "login 404 404 404 404 404 404 404", 6, post=True
    ),
    "devices:loss_list": R(None, "login 200 200 200 200 200 200 403", 8),
    "devices:loss_detail": R(at("w.report.pk"), "login 200 200 404 200 404 200 404", 8),
    "devices:loss_print": R(at("w.report.pk"), "login 200 200 404 200 404 200 404", 5),
    "devices:loss_pdf": R(at("w.report.pk"), "login 200 200 404 200 404 200 404", 7),
    "devices:loss_docx": R(at("w.report.pk"), "login 200 200 404 200 404 200 404", 5),
    "devices:loss_mail_resend": R(
        at("w.report.pk", MISSING), "login 404 404 404 404 404 404 404", 6, post=True
    ),
    # merger plans
    "orgmerge:list": R(None, "login 403 403 403 200 200 403 403", 7),
    "orgmerge:create": R(None, "login 403 403 403 200 200 403 403", 7),
    "orgmerge:detail": R(PLAN, "login 404 404 404 200 404 404 404", 12),  # + its approval
    "orgmerge:choices": R(PLAN, "login 404 404 404 302 404 404 404", 26, post=True),
    "orgmerge:discard": R(PLAN, "login 404 404 404 302 404 404 404", 16, post=True),
    "orgmerge:apply": R(PLAN, "login 404 404 404 302 404 404 404", 10, post=True),
    "orgmerge:excel": R(PLAN, "login 404 404 404 200 404 404 404", 6),
    # the data protection officer's pages: nobody of the cast may use them (tests/privacy/)
    "privacy:inventory": R(None, "login 403 403 403 403 403 403 403", 5),
    "privacy:incidents": R(None, "login 403 403 403 403 403 403 403", 5),
    "privacy:incident_create": R(None, "login 403 403 403 403 403 403 403", 5),
    "privacy:incident_detail": R(GONE, "login 403 403 403 403 403 403 403", 5),
    "privacy:incident_notify": R(GONE, "login 403 403 403 403 403 403 403", 5, post=True),
    "privacy:incident_close": R(GONE, "login 403 403 403 403 403 403 403", 5, post=True),
    "privacy:incident_notice": R(GONE, "login 403 403 403 403 403 403 403", 5),
    "privacy:accesses": R(None, "login 403 403 403 403 403 403 403", 5),
    "privacy:access_detail": R(GONE, "login 403 403 403 403 403 403 403", 5),
    # each person's list of the accesses to their own data
    "privacy:my_accesses": R(None, "login 200 200 200 200 200 200 200", 8),
    # a person's own data and correction requests, their agency's queue (docs/privacy.md)
    "subject:data": R(None, "login 200 200 200 200 200 200 200", 15),
    "subject:export_json": R(None, "login 404 404 404 404 404 404 200", 21, post=True),
    "subject:export_pdf": R(None, "login 404 404 404 404 404 404 302", 5, post=True),
    "subject:correction_submit": R(None, "login 404 404 404 404 404 404 400", 15, post=True),
    "approvals:queue": R(None, "login 200 200 200 200 200 200 200", 8),
    "approvals:detail": R(GONE, "login 404 404 404 404 404 404 404", 8),
    "approvals:status": R(GONE, "login 404 404 404 404 404 404 404", 8),
    "approvals:approve": R(GONE, "login 404 404 404 404 404 404 404", 8, post=True),
    "approvals:reject": R(GONE, "login 404 404 404 404 404 404 404", 8, post=True),
    "approvals:cancel": R(GONE, "login 404 404 404 404 404 404 404", 8, post=True),
    "corrections:list": R(None, "login 200 200 200 403 403 403 403", 5),
    "corrections:detail": R(GONE, "login 404 404 404 403 403 403 403", 5),
    "corrections:correct": R(GONE, "login 404 404 404 403 403 403 403", 5, post=True),
    "corrections:draft_letter": R(GONE, "login 404 404 404 403 403 403 403", 5, post=True),
    "corrections:reject": R(GONE, "login 404 404 404 403 403 403 403", 5, post=True),
    # a masked value's reveal form (the draft's row: its clerk may, its head may not)
    "privacy:reveal": R(
        at("requests_app.RequestRow", "w.row.pk", "national_id"),
        "login 200 403 404 404 404 404 404",
        8,
    ),
    # demand registration
    "demand:list": R(None, "login 200 200 200 200 200 200 200", 8),
    "demand:create": R(None, "login 403 403 403 200 200 200 403", 5),
    "demand:campaign": R(CAMPAIGN, "login 302 302 302 200 404 200 404", 12),
    "demand:export": R(CAMPAIGN, "login 403 403 403 200 404 200 404", 9),
    "demand:remind": R(CAMPAIGN, "login 403 403 403 302 404 302 404", 14, post=True),
    "demand:close": R(CAMPAIGN, "login 403 403 403 302 404 403 404", 15, post=True),
    "demand:register": R(CAMPAIGN, "login 200 200 200 404 404 404 404", 10),
    "demand:registration_pdf": R(GONE, "login 404 404 404 404 404 404 404", 5),
    "demand:summary_pdf": R(SUMMARY, "login 404 404 404 200 404 403 404", 12),
    "demand:registration_desk_prepare": R(
        at(MISSING, 1), "login 404 404 404 404 404 404 404", 5, post=True
    ),
    "demand:registration_desk_complete": R(GONE, "login 404 404 404 404 404 404 404", 5, post=True),
    "demand:summary_desk_prepare": R(SUMMARY, "login 404 404 404 400 404 403 404", 18, post=True),
    "demand:summary_desk_complete": R(SUMMARY, "login 404 404 404 400 404 400 404", 7, post=True),
}


def walk(resolver=None, namespace=""):
    """(URL name, pattern) of every route, namespaces joined by ':'."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            joined = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from walk(pattern, joined)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or ""
            yield (f"{namespace}:{name}" if namespace else name), str(pattern.pattern)


cast = module_cast()


@pytest.fixture(scope="module")
def world(cast):
    """Agency A's objects, built once for the module (tests/cast.py)."""
    ca_ready()
    f.CAOrgFactory()
    devices = populate(cast, 1)
    letter = draft(cast)
    plan = merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="a",
        target_name="Sở Tài chính và Y tế tỉnh Lai Châu",
        effective_on=timezone.localdate() + timedelta(days=10),
        by=cast.officer_1,
    )
    campaign = province_campaign(cast)
    return SimpleNamespace(
        cast=cast,
        letter=letter,
        row=letter.rows.get(),
        certificate=f.certificate_valid_for(cast),
        plan=plan,
        campaign=campaign,
        authority=CertificateAuthority.objects.get(kind="issuing", is_active=True),
        **vars(devices),
    )


def url_of(name: str, route: Route, world) -> str:
    if name == "favicon.ico":
        return "/favicon.ico"
    return reverse(name, args=route.args(world) if route.args else [])


def observe(route: Route, url: str, clients: dict) -> tuple[str, int]:
    """Each persona's answer and the most queries one of them cost."""
    answers, most = [], 0
    for persona in PERSONAS:
        client = clients[persona]
        cookies = copy.deepcopy(client.cookies)  # a sign-out empties them
        cache.clear()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = client.post(url) if route.post else client.get(url)
            transaction.set_rollback(True)
        client.cookies = cookies
        answers.append(str(answer(response)))
        most = max(most, len(queries))
    return " ".join(answers), most


def clients_of(cast) -> dict:
    clients = {}
    for persona in PERSONAS:
        clients[persona] = Client()
        if persona != "anonymous":
            sign_in(clients[persona], getattr(cast, persona))
    return clients


def test_every_route_has_an_entry():
    missing = [
        (name or pattern)
        for name, pattern in walk()
        if not name.startswith("admin:") and (name or pattern) not in ROUTES
    ]
    assert missing == [], f"routes without an entry in ROUTES: {missing}"
    stale = set(ROUTES) - {name or pattern for name, pattern in walk()}
    assert stale == set(), f"entries of routes that no longer exist: {stale}"


GROUPS = sorted({name.split(":")[0] if ":" in name else "-" for name in ROUTES})


@pytest.mark.parametrize("group", GROUPS)
def test_each_persona_gets_its_answer_within_the_query_budget(world, db, group):
    forget_cached_scopes(world.cast)
    clients = clients_of(world.cast)
    wrong = []
    for name, route in ROUTES.items():
        if (name.split(":")[0] if ":" in name else "-") != group:
            continue
        answers, most = observe(route, url_of(name, route, world), clients)
        if answers != route.expect:
            wrong.append(f"{name}: {answers!r}, expected {route.expect!r}")
        if most > route.queries:
            wrong.append(f"{name}: {most} queries, budget {route.queries}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def admin_client(cast, db):
    return sign_in(Client(), cast.admin)


def test_the_admin_is_for_staff_only(cast, db, admin_client):
    """Every model's list and add page: the administrator sees it (or is refused an add the
    admin forbids), a clerk is sent to the admin's login page."""
    clerk = sign_in(Client(), cast.clerk_a)
    login = reverse("admin:login")
    wrong = []
    for model in admin.site._registry:
        meta = model._meta
        for page in ("changelist", "add"):
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_{page}")
            staff, outsider = admin_client.get(url), clerk.get(url)
            sent_to_login = outsider.status_code == 302 and outsider.url.startswith(login)
            if staff.status_code not in (200, 403) or not sent_to_login:
                wrong.append(f"{url}: {staff.status_code}, {answer(outsider)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("shape", sorted(BODIES))
def test_no_route_answers_a_malformed_body_with_a_server_error(world, db, shape):
    """JSON nested 50,000 deep and malformed multipart bodies (tests/fuzz/bodies.py), one of each
    to every route, by the first persona the table lets past the route's scope: never a 500;
    a 400 (the API's a Vietnamese problem) wherever the body must be read."""
    forget_cached_scopes(world.cast)
    clients = {
        persona: browser(None if persona == "anonymous" else getattr(world.cast, persona))
        for persona in PERSONAS
    }
    wrong = []
    for name, route in ROUTES.items():
        answers = route.expect.split()
        past = [p for p, a in zip(PERSONAS, answers, strict=True) if a not in REFUSALS]
        persona = past[0] if past else "clerk_a"
        url = url_of(name, route, world)
        response = post(clients[persona], url, shape)
        expected = answers[PERSONAS.index(persona)]
        if problem := wrong_answer(name, url, shape, response, expected):
            wrong.append(problem)
    assert not wrong, "\n".join(wrong)
