"""Reads never write: a GET of every page and API endpoint of the site, with
real object ids from the seeded demo as each of its personas, leaves every table of the
database as it was. Each table is compared by its row count and a hash of all its rows, before
and after each GET, so the test names the page, the persona and the tables it changed.

The routes are enumerated from the URL configuration, not listed by hand: a new route with
arguments fails `test_every_route_with_arguments_has_real_objects` until `ARGS` gives it some.
"""

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from agencies.accounts.tokens import api_token_create
from agencies.models import Organization
from approvals.choices import ApprovalAction
from approvals.services import approval_request
from bulk.services import bulk_job_create
from certificates.desk.models import DeskSigning
from certificates.models import Certificate, CertificateAuthority
from dashboard.choices import ReportState
from dashboard.models import MonthlyReport
from demand.demo import load_demand_demo
from demand.models import Campaign, Registration
from devices.choices import DeviceStatus
from devices.models import Device, HandoverNotice, LossReport, RemoteCredential, ReturnMinutes
from devices.services import loss_report_create
from orgmerge.models import MergerPlan
from portal.export_jobs.service import export_job_create
from portal.imports import import_job_create
from portal.models import Deadline, ImportJob, Notification
from portal.notifications import notify
from privacy.access import Subject, personal_data_access_record
from privacy.choices import AccessChannel, CorrectableField, DataCategory
from privacy.corrections import correction_request_submit
from privacy.services import incident_record
from requests_app.choices import Status
from requests_app.demo import load_full_demo
from requests_app.excel.jobs import LETTER_IMPORT
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest, LetterDocument
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# Tables a GET may change: the sliding session's own bookkeeping, and the access log of
# personal data (the law asks that a read in full be recorded):
EXCLUDED = {
    # The session row: a request moves the idle window's expiry (at most once a minute,
    # agencies/accounts/sessions.py) and the messages framework may keep a message in it.
    "django_session": "the sliding session's own expiry and messages",
    # The access log of personal data: a document downloaded, the CA's sheet read or an API
    # answer with full values records who saw whose data (docs/privacy.md, "Exports, API and
    # documents"), with its audit event (below) and so the audit chain's head.
    "privacy_access": "the access log",
    "privacy_accesssubject": "the access log's subjects",
    "portal_auditchainhead": "moved by the access log's events; any other event shows itself",
}
# Tables of which a GET may add only these rows: the access log's audit events.
ONLY_ROWS = {"portal_auditevent": "action <> 'personal_data.accessed'"}

# What each route with arguments is called with: real objects of the seeded world.
NO_OBJECT = 987654321  # an id no object has: the route's 404, which must not write either


def _world() -> SimpleNamespace:
    load_full_demo()
    load_demand_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    w = SimpleNamespace(users=users)
    ca, clerk, officer = users["cuc.cts"], users["canbo.stc"], users["so.khcn"]
    w.letters = list(CertRequest.objects.order_by("pk"))
    w.draft = CertRequest.objects.filter(status=Status.DRAFT).first()
    w.rows = [(letter.pk, row.pk) for letter in w.letters for row in letter.rows.all()[:1]]
    w.documents = list(LetterDocument.objects.values_list("letter_id", "version")[:4])
    w.certificate = Certificate.objects.exclude(serial="").first()
    w.authority = CertificateAuthority.objects.first()
    w.devices = list(Device.objects.order_by("pk")[:3]) + list(
        Device.objects.filter(status=DeviceStatus.LOCKED)[:1]
    )
    finance = w.draft.agency
    w.agency, w.province = finance, finance.province
    held = Device.objects.filter(agency=finance, status=DeviceStatus.HANDED_TO_SUBSCRIBER).first()
    loss_report_create(
        device=held,
        lost_on=timezone.localdate(),
        lost_place="Trụ sở cơ quan",
        circumstances="Để quên trên xe khách",
        by=clerk,
    )
    w.notice = HandoverNotice.objects.first()
    w.loss = LossReport.objects.first()
    w.minutes = ReturnMinutes.objects.first()
    w.plan = MergerPlan.objects.first()
    w.campaign = Campaign.objects.first()
    w.registration = Registration.objects.first()
    w.export_job = export_job_create(
        owner=ca, title="Chứng thư", path="/chung-thu/", query="", language="vi"
    )
    w.import_job = import_job_create(
        owner=clerk,
        kind=LETTER_IMPORT,
        upload=f.mau01_people_upload(2),
        target_id=w.draft.pk,
    )
    w.stock_job = ImportJob.objects.exclude(kind=LETTER_IMPORT).first()
    w.report = MonthlyReport.objects.create(
        province=w.province,
        office=Organization.objects.filter(pk=officer.memberships.first().organization_id).get(),
        year=2026,
        month=1,
        state=ReportState.DRAFT,
        created_by=officer,
    )
    notify(users=[clerk], message="Thông báo thử", url="/van-ban/")
    w.notification = Notification.objects.first()
    w.deadline = Deadline.objects.create(
        kind=Deadline.Kind.PROVINCE_REVIEW,
        subject=f"letter:{w.letters[-1].pk}",
        label="Văn bản",
        due_on=timezone.localdate() + timedelta(days=3),
        actor=Deadline.Actor.PROVINCE,
        agency_id=finance.pk,
    )
    w.token, _secret = api_token_create(owner=ca, name="Kiểm thử", days=30, by=ca)
    # the demo's remote-signing subscriber's
    w.credential = RemoteCredential.objects.get(device__holder__user__username="thuebao")
    # a desk signing request the clerk has open (its authorisation page, when its key is remote)
    w.desk_signing = DeskSigning.objects.create(
        nonce="n",
        user=clerk,
        certificate=w.certificate,
        purpose="reads-never-write",
        field_name="ChuKyLanhDao",
        document_digest=b"\0" * 32,
        reserved_start=0,
        reserved_end=0,
        signed_attrs_der=b"\x30\x00",
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    w.incident = incident_record(
        by=users["baove.dlcn"],
        title="Lộ danh sách cán bộ",
        detected_at=timezone.now() - timedelta(hours=5),
        categories=[DataCategory.IDENTITY],
        subjects_count=12,
        description="Tệp danh sách gửi nhầm địa chỉ thư.",
        measures="Đề nghị người nhận xóa tệp.",
        contact="Đỗ Thị Lan, 0912345678",
    )
    subscriber = users["thuebao"]
    w.correction = correction_request_submit(
        person=subscriber.person,
        by=subscriber,
        field=CorrectableField.POSITION,
        value="Phó Trưởng phòng thử",
        reason="Quyết định bổ nhiệm",
    )
    w.access = personal_data_access_record(
        by=clerk,
        channel=AccessChannel.DOCUMENT,
        subjects=[Subject.of(subscriber.person)],
        fields=["agencies.Person.national_id"],
        obj=subscriber.person,
    )
    # four eyes and bulk work (docs/approvals.md, docs/bulk.md): a CA operator's reminder job,
    # and a request to reset a second factor waiting for a second administrator
    w.bulk_job = bulk_job_create(
        register="letters", query="", action="remind", params={}, reason="Nhắc", by=ca
    )
    holder = users["baove.dlcn"]
    w.approval = approval_request(
        action=ApprovalAction.TWO_FACTOR_RESET,
        object_key=f"user:{holder.pk}",
        object_label=holder.username,
        params={"user_id": holder.pk},
        by=users["quantri"],
        reason="Mất điện thoại",
    )
    return w


def _pk(obj) -> int:
    return obj.pk if obj is not None else NO_OBJECT


def _letter_args(w):
    return [{"pk": letter.pk} for letter in w.letters]


def _row_args(w):
    return [{"pk": pk, "row_pk": row_pk} for pk, row_pk in w.rows]


def _device_args(w):
    return [{"pk": d.pk} for d in w.devices]


def _document_kinds(w):
    return [
        {"kind": "notice", "pk": _pk(w.notice)},
        {"kind": "minutes", "pk": _pk(w.minutes)},
        {"kind": "loss", "pk": _pk(w.loss)},
    ]


def _serial(w):
    return [{"serial": w.certificate.serial}]


def _approval(w):
    return [{"pk": w.approval.pk}]


def _bulk_job(w):
    return [{"pk": w.bulk_job.pk}]


_CSC_VERSIONS = lambda w: [{"version": "v1"}, {"version": "v2"}]  # noqa: E731

ARGS = {
    "remote_signing:activate": lambda w: [{"credential_id": w.credential.credential_id}],
    "remote_signing:lock": lambda w: [{"credential_id": w.credential.credential_id}],
    "remote_signing:code_issue": lambda w: [{"credential_id": w.credential.credential_id}],
    "remote_signing:desk_authorize": lambda w: [{"desk_id": w.desk_signing.pk}],
    "remote_signing:desk_progress": lambda w: [{"desk_id": w.desk_signing.pk}],
    "remote_signing:phone_answer": lambda w: [{"transaction_id": w.desk_signing.pk}],
    # the CSC API (POST only: a GET is refused)
    "remote_signing:csc_info": _CSC_VERSIONS,
    "remote_signing:csc_list": _CSC_VERSIONS,
    "remote_signing:csc_cred_info": _CSC_VERSIONS,
    "remote_signing:csc_authorize": _CSC_VERSIONS,
    "remote_signing:csc_sign_hash": _CSC_VERSIONS,
    "approval-detail": _approval,
    "approval-approve": _approval,
    "approval-cancel": _approval,
    "approval-reject": _approval,
    "approvals:detail": _approval,
    "approvals:status": _approval,
    "approvals:approve": _approval,
    "approvals:reject": _approval,
    "approvals:cancel": _approval,
    "bulk-job-detail": _bulk_job,
    "bulk-job-items": _bulk_job,
    "bulk:detail": _bulk_job,
    "bulk:progress": _bulk_job,
    "bulk:new_in": lambda w: [{"slug": "thiet-bi"}, {"slug": "van-ban"}],
    "monthly_reports:download": lambda w: [{"pk": w.report.pk}],
    "monthly_reports:desk_prepare": lambda w: [
        {"province": w.report.province_id, "year": w.report.year, "month": w.report.month}
    ],
    "monthly_reports:desk_complete": lambda w: [
        {"province": w.report.province_id, "year": w.report.year, "month": w.report.month}
    ],
    "accounts:api_token_revoke": lambda w: [{"pk": w.token.pk}],
    # the API (each also with its format suffix, below)
    "device-loss": _device_args,
    "certificate-detail": _serial,
    "device-detail": _device_args,
    "cert-request-detail": _letter_args,
    "cert-request-act": lambda w: [
        {"pk": letter.pk, "verb": verb}
        for letter in w.letters[:1]
        for verb in ("submit", "process", "resume", "decide_rows")
    ],
    "cert-request-ca-sheet-rows": _letter_args,
    "cert-request-rows": _letter_args,
    "cert-request-signed-upload": _letter_args,
    "merger-plan-detail": lambda w: [{"pk": _pk(w.plan)}],
    "merger-plan-apply": lambda w: [{"pk": _pk(w.plan)}],
    "merger-plan-discard": lambda w: [{"pk": _pk(w.plan)}],
    "deadline-detail": lambda w: [{"pk": w.deadline.pk}],
    "notification-detail": lambda w: [{"pk": w.notification.pk}],
    "notification-read": lambda w: [{"pk": w.notification.pk}],
    # pages
    "portal:notification_read": lambda w: [{"pk": w.notification.pk}],
    "portal:export_job": lambda w: [{"pk": w.export_job.pk}],
    "portal:export_download": lambda w: [{"pk": w.export_job.pk}],
    "certificates:authority_crl": lambda w: [{"pk": w.authority.pk}],
    "certificates:authority_crl_pem": lambda w: [{"pk": w.authority.pk}],
    "certificates:authority_cert": lambda w: [{"pk": w.authority.pk}],
    "certificates:ocsp_get": lambda w: [{"encoded": "MEIwQDA-MDwwOjAJBgUrDgMCGgUABBQ"}],
    "certificates:detail": _serial,
    "certificates:revocation_register": _serial,
    "certificates:revocation_letter": lambda w: [{"pk": NO_OBJECT}],
    "certificates:cer": _serial,
    "certificates:pem": _serial,
    "requests_app:edit": _letter_args,
    "requests_app:row_add": _letter_args,
    "requests_app:row_show": _row_args,
    "requests_app:row_edit": _row_args,
    "requests_app:row_delete": _row_args,
    "requests_app:pick": lambda w: [
        {"pk": letter.pk, "kind": kind}
        for letter in w.letters
        for kind in ("person", "certificate", "device")
    ],
    "requests_app:import": _letter_args,
    "requests_app:import_job": lambda w: [{"pk": w.draft.pk, "job_pk": w.import_job.pk}],
    "requests_app:import_confirm": lambda w: [{"pk": w.draft.pk, "job_pk": w.import_job.pk}],
    "requests_app:import_discard": lambda w: [{"pk": w.draft.pk, "job_pk": w.import_job.pk}],
    "requests_app:export": _letter_args,
    "requests_app:export_full": _letter_args,
    "requests_app:import_template": lambda w: [{"layout": "mau01"}, {"layout": "ca19"}],
    "requests_app:signed_upload": _letter_args,
    "requests_app:signing_state": _letter_args,
    "requests_app:desk_prepare": _letter_args,
    "requests_app:desk_complete": _letter_args,
    "requests_app:detail": _letter_args,
    "requests_app:pdf_preview": _letter_args,
    "requests_app:action": lambda w: [
        {"pk": letter.pk, "action": name} for letter in w.letters[:1] for name in ACTIONS
    ],
    "requests_app:row_decide": _row_args,
    "requests_app:progress": _letter_args,
    "requests_app:document": lambda w: [{"pk": pk, "version": v} for pk, v in w.documents],
    "requests_app:docx": _letter_args,
    "exchange:edxml": _letter_args,
    "exchange:edxml_status": lambda w: [{"pk": NO_OBJECT}],
    "requests_app:verify": _letter_args,
    "exchange:mail_resend": lambda w: [
        {"pk": letter.pk, "mail_pk": NO_OBJECT} for letter in w.letters[:1]
    ],
    "requests_app:validation_report_json": _letter_args,
    "requests_app:validation_report_pdf": _letter_args,
    "paperwork:device_recovery": _device_args,
    "paperwork:device_report_loss": _device_args,
    "paperwork:device_desk_prepare": _document_kinds,
    "paperwork:device_desk_complete": _document_kinds,
    "paperwork:device_document_signed_pdf": _document_kinds,
    "paperwork:return_minutes_receiver_desk_prepare": lambda w: [{"pk": _pk(w.minutes)}],
    "paperwork:return_minutes_receiver_desk_complete": lambda w: [{"pk": _pk(w.minutes)}],
    "devices:agency": lambda w: [{"pk": w.agency.pk}],
    "devices:notice_mail_resend": lambda w: [{"pk": _pk(w.notice), "mail_pk": NO_OBJECT}],
    "devices:minutes_mail_resend": lambda w: [{"pk": _pk(w.minutes), "mail_pk": NO_OBJECT}],
    "devices:loss_mail_resend": lambda w: [{"pk": _pk(w.loss), "mail_pk": NO_OBJECT}],
    "devices:province": lambda w: [{"pk": w.province.pk}],
    "devices:stock_import_job": lambda w: [{"job_pk": _pk(w.stock_job)}],
    "devices:stock_import_confirm": lambda w: [{"job_pk": _pk(w.stock_job)}],
    "devices:stock_import_discard": lambda w: [{"job_pk": _pk(w.stock_job)}],
    "devices:detail": _device_args,
    "devices:lock": _device_args,
    "devices:pin_envelope": _device_args,
    "devices:collect": _device_args,
    "devices:notice_detail": lambda w: [{"pk": _pk(w.notice)}],
    "devices:notice_print": lambda w: [{"pk": _pk(w.notice)}],
    "devices:notice_pdf": lambda w: [{"pk": _pk(w.notice)}],
    "devices:notice_docx": lambda w: [{"pk": _pk(w.notice)}],
    "devices:minutes_detail": lambda w: [{"pk": _pk(w.minutes)}],
    "devices:minutes_print": lambda w: [{"pk": _pk(w.minutes)}],
    "devices:minutes_pdf": lambda w: [{"pk": _pk(w.minutes)}],
    "devices:minutes_docx": lambda w: [{"pk": _pk(w.minutes)}],
    "devices:loss_detail": lambda w: [{"pk": _pk(w.loss)}],
    "devices:loss_print": lambda w: [{"pk": _pk(w.loss)}],
    "devices:loss_pdf": lambda w: [{"pk": _pk(w.loss)}],
    "devices:loss_docx": lambda w: [{"pk": _pk(w.loss)}],
    "orgmerge:detail": lambda w: [{"pk": _pk(w.plan)}],
    "orgmerge:choices": lambda w: [{"pk": _pk(w.plan)}],
    "orgmerge:discard": lambda w: [{"pk": _pk(w.plan)}],
    "orgmerge:apply": lambda w: [{"pk": _pk(w.plan)}],
    "orgmerge:excel": lambda w: [{"pk": _pk(w.plan)}],
    "demand:campaign": lambda w: [{"pk": w.campaign.pk}],
    "demand:export": lambda w: [{"pk": w.campaign.pk}],
    "demand:remind": lambda w: [{"pk": w.campaign.pk}],
    "demand:close": lambda w: [{"pk": w.campaign.pk}],
    "demand:register": lambda w: [{"pk": w.campaign.pk}],
    "demand:registration_pdf": lambda w: [{"pk": _pk(w.registration)}],
    "demand:summary_pdf": lambda w: [{"pk": w.campaign.pk, "province_id": w.province.pk}],
    "demand:summary_desk_prepare": lambda w: [{"pk": w.campaign.pk, "province_id": w.province.pk}],
    "demand:summary_desk_complete": lambda w: [{"pk": w.campaign.pk, "province_id": w.province.pk}],
    "demand:registration_desk_prepare": lambda w: [{"pk": _pk(w.registration), "revision": 0}],
    "demand:registration_desk_complete": lambda w: [{"pk": _pk(w.registration)}],
    "privacy:incident_detail": lambda w: [{"pk": w.incident.pk}],
    "privacy:access_detail": lambda w: [{"pk": w.access.pk}],
    "privacy:incident_notify": lambda w: [{"pk": w.incident.pk}],
    "privacy:incident_close": lambda w: [{"pk": w.incident.pk}],
    "privacy:incident_notice": lambda w: [{"pk": w.incident.pk}],
    "corrections:detail": lambda w: [{"pk": w.correction.pk}],
    "corrections:correct": lambda w: [{"pk": w.correction.pk}],
    "corrections:draft_letter": lambda w: [{"pk": w.correction.pk}],
    "corrections:reject": lambda w: [{"pk": w.correction.pk}],
    # a reveal's GET is its reason's form: only its POST records the access
    "privacy:reveal": lambda w: [
        *(
            {"label": "requests_app.RequestRow", "pk": row_pk, "field": "national_id"}
            for _pk, row_pk in w.rows
        ),
        *({"label": "devices.Device", "pk": d.pk, "field": "phone"} for d in w.devices),
    ],
}


def _routes() -> list[tuple[str, URLPattern, str]]:
    """(namespaced name, pattern, route text) of every named URL pattern of the site, the
    admin's included."""
    found = []

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            else:
                found.append(
                    (f"{namespace}{pattern.name or ''}", pattern, prefix + str(pattern.pattern))
                )

    walk(get_resolver().url_patterns)
    return found


def _admin_urls(w) -> list[str]:
    """Every page of the admin site, with a real object of each registered model."""
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"admin:{meta.app_label}_{meta.model_name}"
        urls += [reverse(f"{base}_changelist"), reverse(f"{base}_add")]
        urls.append(reverse("admin:app_list", kwargs={"app_label": meta.app_label}))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            for view in ("history", "delete", "change"):
                urls.append(reverse(f"{base}_{view}", args=[obj.pk]))
    return sorted(set(urls))


def _site_urls(w) -> list[str]:
    urls = []
    for name, pattern, _route in _routes():
        if name.startswith("admin:"):
            continue  # below, model by model
        keys = set(pattern.pattern.regex.groupindex) - {"format"}
        if not keys:
            if "format" in pattern.pattern.regex.groupindex:
                urls.append(reverse(name, kwargs={"format": "json"}))
            elif pattern.name:
                urls.append(reverse(name))
            continue
        for kwargs in ARGS[name](w):
            if "format" in pattern.pattern.regex.groupindex:
                kwargs = {**kwargs, "format": "json"}
            urls.append(reverse(name, kwargs=kwargs))
    return sorted(set(urls)) + _admin_urls(w)


def _tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if t not in EXCLUDED)


def _checksums(tables) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a hash of all its rows (in a stable order)."""
    sums = {}
    with connection.cursor() as cursor:
        for table in tables:
            where = f" WHERE {ONLY_ROWS[table]}" if table in ONLY_ROWS else ""
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}{where}")  # noqa: S608
            rows = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                          for row in cursor.fetchall())  # fmt: skip
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            sums[table] = (len(rows), digest)
    return sums


def _changes() -> int:
    """Rows this connection has inserted, updated or deleted so far: a cheap sign that a GET
    wrote something, after which the checksums say what (PostgreSQL counts them per
    transaction, and the test runs in one; SQLite per connection)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_all_tables"
            )
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def test_every_route_with_arguments_has_real_objects():
    missing = [
        name
        for name, pattern, _route in _routes()
        if not name.startswith("admin:")
        and set(pattern.pattern.regex.groupindex) - {"format"}
        and name not in ARGS
    ]
    assert missing == []


def test_a_get_of_every_page_leaves_the_database_unchanged(client):
    client.raise_request_exception = False  # a server error is another test's concern
    w = _world()
    site = _site_urls(w)
    tables = _tables()
    writes, errors = [], []
    for username in [None, *sorted(w.users)]:
        client.logout()
        if username is not None:
            sign_in(client, w.users[username])  # signing in writes; what follows must not
        who = username or "anonymous"
        urls = [u for u in site if (username == "quantri" or not u.startswith("/quan-tri/"))]
        before, counted = _checksums(tables), _changes()
        for url in urls:
            response = client.get(url)
            if response.status_code >= 500:
                errors.append(f"{who} GET {url}: {response.status_code}")
            if _changes() == counted:
                continue  # nothing inserted, updated or deleted: the checksums are as before
            after, counted = _checksums(tables), _changes()
            changed = sorted(t for t in tables if before[t] != after[t])
            if changed:
                writes.append(f"{who} GET {url}: {', '.join(changed)}")
            before = after
        # and the persona's whole round, table by table, whatever the counter said
        assert _checksums(tables) == before, who
    print("\n".join(["server errors (not this test's subject):", *errors]))
    assert writes == [], "\n".join(writes)
