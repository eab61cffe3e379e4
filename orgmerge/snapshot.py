"""The merged subtrees as plain data for the planner (`orgmerge.planning`), loaded in a fixed
number of queries whatever the number of rows: the sources, their subtrees, the valid
certificates, the people, the devices and the open letters (one query each)."""

import re

from django.db.models import Q
from django.utils import timezone

from agencies.models import Organization
from agencies.models import Person as PersonModel
from certificates.choices import CertStatus
from certificates.models import Certificate
from devices.models import Device as DeviceModel
from orgmerge import planning as p
from requests_app.choices import TERMINAL_STATUSES
from requests_app.models import CertRequest


def load_snapshot(source_ids) -> p.Snapshot:
    source_ids = sorted(set(source_ids))
    top = list(Organization.objects.filter(pk__in=source_ids).order_by("path"))
    # A source inside another source's subtree belongs to that one's breakdown.
    paths = {s.path for s in top}
    sources = tuple(s for s in top if not p.below_any(s.path, paths))
    if not sources:
        return p.Snapshot(sources=())
    # The subtrees: one anchored pattern of the sources' paths (paths are digits and "/"),
    # matched once per row, rather than one LIKE per source and row (2,000 sources).
    under = "^(" + "|".join(re.escape(s.path) for s in sources) + ")"
    orgs = {
        row["id"]: p.Org(**row)
        for row in Organization.objects.filter(path__regex=under).values(
            "id", "name", "kind", "parent_id", "path"
        )
    }
    org_ids = list(orgs)
    people = {
        row["id"]: p.Person(**row)
        for row in PersonModel.objects.filter(organization_id__in=org_ids).values(
            "id", "full_name", "organization_id"
        )
    }
    now = timezone.now()
    certificates = tuple(
        p.Cert(
            id=row["id"],
            serial=row["serial"],
            subject_kind=row["subject_kind"],
            agency_id=row["agency_id"],
            subject_organization_id=row["subject_organization_id"],
            person_id=row["person_id"],
            device_id=row["device_id"],
            days_left=(row["not_after"] - now).days,
        )
        for row in Certificate.objects.filter(status=CertStatus.VALID, not_after__gt=now)
        .filter(
            Q(agency_id__in=org_ids)
            | Q(subject_organization_id__in=org_ids)
            | Q(person__organization_id__in=org_ids)
        )
        .order_by("id")
        .values(
            "id",
            "serial",
            "subject_kind",
            "agency_id",
            "subject_organization_id",
            "person_id",
            "device_id",
            "not_after",
        )
    )
    device_ids = {c.device_id for c in certificates if c.device_id is not None}
    devices = {
        row["id"]: p.Device(**row)
        for row in DeviceModel.objects.filter(
            Q(pk__in=device_ids) | Q(agency_id__in=org_ids)
        ).values("id", "serial", "kind", "agency_id", "holder_id")
    }
    letters = tuple(
        p.Letter(**row)
        for row in CertRequest.objects.filter(agency_id__in=org_ids)
        .exclude(status__in=TERMINAL_STATUSES)
        .order_by("id")
        .values("id", "form", "status", "agency_id")
    )
    return p.Snapshot(
        sources=tuple(orgs[s.pk] for s in sources),
        orgs=orgs,
        certificates=certificates,
        people=people,
        devices=devices,
        letters=letters,
    )
