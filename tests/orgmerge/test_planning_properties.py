"""Properties of the merger planner (orgmerge.planning), on random snapshots: pure functions,
no database."""

from hypothesis import given, settings
from hypothesis import strategies as st

from orgmerge import planning as p

CERT_KINDS = {p.KEEP, p.CHANGE_INFO, p.NEW_ISSUE, p.REVOKE}
SURVIVING = {p.KEEP, p.CHANGE_INFO, p.NEW_ISSUE}


@st.composite
def snapshots(draw):
    """Sources 1..n at the top (paths /s/), units below them (/s/u/), and organisations
    outside the merge (/9xx/); certificates of every kind anywhere."""
    n_sources = draw(st.integers(1, 4))
    orgs: dict[int, p.Org] = {}
    sources = []
    next_id = 1
    for _ in range(n_sources):
        source = p.Org(next_id, f"S{next_id}", "agency", 1000, f"/1000/{next_id}/")
        orgs[next_id] = source
        sources.append(source)
        next_id += 1
        for _ in range(draw(st.integers(0, 2))):
            orgs[next_id] = p.Org(
                next_id, f"U{next_id}", "unit", source.id, f"{source.path}{next_id}/"
            )
            next_id += 1
    outside = []
    for _ in range(draw(st.integers(0, 2))):
        org = p.Org(next_id, f"O{next_id}", "agency", 1000, f"/1000/{next_id}/")
        outside.append(org)
        next_id += 1
    all_orgs = list(orgs.values()) + outside
    people = {}
    for pid in range(1, draw(st.integers(0, 8)) + 1):
        org = draw(st.sampled_from(all_orgs))
        people[pid] = p.Person(pid, f"P{pid}", org.id)
    certificates = []
    for cid in range(1, draw(st.integers(0, 15)) + 1):
        days = draw(st.integers(1, 1000))
        device = draw(st.one_of(st.none(), st.integers(1, 6)))
        if people and draw(st.booleans()):
            person = draw(st.sampled_from(list(people.values())))
            owner = next(o for o in all_orgs if o.id == person.organization_id)
            certificates.append(
                p.Cert(cid, f"C{cid}", p.PERSON, owner.id, None, person.id, device, days)
            )
        else:
            org = draw(st.sampled_from(all_orgs))
            certificates.append(
                p.Cert(cid, f"C{cid}", p.ORGANIZATION, org.id, org.id, None, device, days)
            )
    devices = {d: p.Device(d, f"D{d}", "usb_token", None, None) for d in range(1, 7)}
    letters = tuple(
        p.Letter(lid, "04", "draft", draw(st.sampled_from(all_orgs)).id)
        for lid in range(1, draw(st.integers(0, 4)) + 1)
    )
    snapshot = p.Snapshot(
        sources=tuple(sources),
        orgs={**orgs, **{o.id: o for o in outside}},
        certificates=tuple(certificates),
        people=people,
        devices=devices,
        letters=letters,
    )
    outside_ids = {o.id for o in outside}
    return snapshot, outside_ids


@st.composite
def plans(draw):
    snapshot, outside_ids = draw(snapshots())
    case = draw(
        st.sampled_from([p.CASE_NEW_NAME, p.CASE_KEEPS_NAME, p.CASE_NEW_SUPERIOR, p.CASE_PROVINCES])
    )
    survivor = draw(st.sampled_from(snapshot.sources)).id if case in p.SURVIVOR_CASES else None
    cert_ids = [c.id for c in snapshot.certificates]
    kept = draw(st.one_of(st.none(), st.sampled_from(cert_ids))) if cert_ids else None
    leaving = frozenset(draw(st.sets(st.sampled_from(list(snapshot.people) or [0]))))
    choices = p.Choices(
        case=case, survivor_id=survivor, kept_certificate_id=kept, leaving_person_ids=leaving
    )
    return snapshot, outside_ids, choices


def _inside(snapshot, outside_ids, cert):
    owner = cert.subject_organization_id or cert.agency_id
    return owner not in outside_ids


@settings(max_examples=300, deadline=None)
@given(plans())
def test_every_affected_certificate_gets_exactly_one_action(plan):
    snapshot, outside_ids, choices = plan
    actions = p.plan_actions(snapshot, choices)
    per_cert: dict[int, int] = {}
    for action in actions:
        if action.kind in CERT_KINDS:
            per_cert[action.certificate_id] = per_cert.get(action.certificate_id, 0) + 1
    affected = {c.id for c in snapshot.certificates if _inside(snapshot, outside_ids, c)}
    assert set(per_cert) == affected
    assert all(n == 1 for n in per_cert.values())


@settings(max_examples=300, deadline=None)
@given(plans())
def test_nothing_outside_the_merge_is_touched(plan):
    snapshot, outside_ids, choices = plan
    actions = p.plan_actions(snapshot, choices)
    outside_certs = {c.id for c in snapshot.certificates if not _inside(snapshot, outside_ids, c)}
    outside_letters = {letter.id for letter in snapshot.letters if letter.agency_id in outside_ids}
    revoked_devices = {
        a.device_id for a in actions if a.kind == p.REVOKE and a.device_id is not None
    }
    for action in actions:
        assert action.certificate_id not in outside_certs
        assert action.letter_id not in outside_letters
        assert action.source_id not in outside_ids
        if action.kind == p.RETURN_DEVICE:
            assert action.device_id in revoked_devices


@settings(max_examples=300, deadline=None)
@given(plans())
def test_exactly_one_organisation_certificate_survives_in_cases_a_and_b(plan):
    snapshot, _outside_ids, choices = plan
    if choices.case not in p.MERGING_CASES:
        return
    source_ids = {s.id for s in snapshot.sources}
    own = {
        c.id
        for c in snapshot.certificates
        if c.subject_kind == p.ORGANIZATION and c.subject_organization_id in source_ids
    }
    actions = p.plan_actions(snapshot, choices)
    surviving = [a for a in actions if a.certificate_id in own and a.kind in SURVIVING]
    assert len(surviving) == (1 if own else 0)
    revoked = [a for a in actions if a.certificate_id in own and a.kind == p.REVOKE]
    assert len(revoked) == len(own) - len(surviving)


@settings(max_examples=300, deadline=None)
@given(plans())
def test_no_change_is_planned_for_a_certificate_with_under_30_days_left(plan):
    snapshot, _outside_ids, choices = plan
    days = {c.id: c.days_left for c in snapshot.certificates}
    # The boundary itself (29, 30, 31 days) is tested in test_plan_services.py.
    planned = {
        (action.kind, days[action.certificate_id] >= 30)
        for action in p.plan_actions(snapshot, choices)
        if action.kind in (p.CHANGE_INFO, p.NEW_ISSUE)
    }
    assert planned <= {(p.CHANGE_INFO, True), (p.NEW_ISSUE, False)}


@settings(max_examples=100, deadline=None)
@given(plans())
def test_every_device_of_a_revoked_certificate_owes_its_return_once(plan):
    snapshot, _outside_ids, choices = plan
    actions = p.plan_actions(snapshot, choices)
    revoked_devices = {a.device_id for a in actions if a.kind == p.REVOKE and a.device_id}
    returns = [a.device_id for a in actions if a.kind == p.RETURN_DEVICE]
    assert sorted(returns) == sorted(revoked_devices)


@given(st.lists(st.lists(st.integers(1, 6), min_size=1, max_size=4), min_size=1, max_size=8))
def test_below_any_says_what_a_scan_of_every_path_says(trees):
    paths = {"/" + "/".join(map(str, ids)) + "/" for ids in trees}
    for path in paths:
        scan = any(path != other and path.startswith(other) for other in paths)
        assert p.below_any(path, paths) == scan


@given(plans())
def test_every_organisation_belongs_to_the_source_a_scan_of_the_sources_finds(plan):
    snapshot, _outside_ids, _choices = plan
    for org in snapshot.orgs.values():
        scan = next((s for s in snapshot.sources if org.path.startswith(s.path)), None)
        assert snapshot.source_of(org.id) == scan
