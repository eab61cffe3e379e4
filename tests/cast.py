"""The cast every test can call on (the `cast` fixture, tests/conftest.py): committed once per
process and handed to each test as a fresh copy, as Django's `setUpTestData` hands its data.

- Built in its own transaction and committed as soon as the test database is made; each
  test's own transaction (pytest-django's `db`) then sees it and rolls back whatever the test
  changed. Building it took a hundred statements and the audit trail's signals per test.
- A transactional test ends with a flush of every table (tests/flush.py): the cast is built
  and committed again right after it (`after_flush`), so the next test finds it.
- A test that does not ask for the cast meets the database as the migrations left it, as
  before: the cast deleted in that test's transaction (and back with its rollback), or deleted
  and committed before a transactional one (and back after its closing flush).
- A module whose tests each need an expensive world (a letter issued and signed) builds it once
  with `built_once`: in a transaction that each test's own nests in as a savepoint rolled back
  after the test, the whole rolled back after the module. Its tests share one copy of the cast
  (`module_cast`) and get their world's objects read fresh from the database.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from psycopg import sql

from agencies.choices import Role
from tests import factories as f
from tests import flush
from tests.audit_guard import audit_guard_suspended, empty_audit_trail


def make_cast() -> SimpleNamespace:
    """Two provinces, three agencies and one user per role (the `cast` fixture's)."""
    province_1 = f.ProvinceFactory(name="Tỉnh Lai Châu")
    office_1 = f.ProvincialOfficeFactory(parent=province_1)
    agency_a = f.AgencyFactory(parent=province_1, name="Sở Tài chính tỉnh Lai Châu")
    unit_a = f.UnitFactory(parent=agency_a, name="Phòng Ngân sách")
    agency_b = f.AgencyFactory(parent=province_1, name="Sở Y tế tỉnh Lai Châu")
    province_2 = f.ProvinceFactory(name="Thành phố Đà Nẵng")
    office_2 = f.ProvincialOfficeFactory(parent=province_2)
    agency_c = f.AgencyFactory(parent=province_2, name="Sở Xây dựng thành phố Đà Nẵng")
    ca_org = f.CAOrgFactory()

    def member(username, role, org):
        user = f.UserFactory(username=username)
        f.MembershipFactory(user=user, role=role, organization=org)
        return user

    clerk_a = member("clerk_a", Role.AGENCY_CLERK, agency_a)
    head_a = member("head_a", Role.AGENCY_HEAD, agency_a)
    clerk_b = member("clerk_b", Role.AGENCY_CLERK, agency_b)
    clerk_c = member("clerk_c", Role.AGENCY_CLERK, agency_c)
    officer_1 = member("officer_1", Role.PROVINCIAL_OFFICER, office_1)
    officer_2 = member("officer_2", Role.PROVINCIAL_OFFICER, office_2)
    ca_operator = member("ca_operator", Role.CA_OPERATOR, ca_org)
    subscriber_user = f.UserFactory(username="subscriber_a")
    f.MembershipFactory(user=subscriber_user, role=Role.SUBSCRIBER, organization=None)
    subscriber = f.PersonFactory(organization=unit_a, user=subscriber_user)
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)

    return SimpleNamespace(**locals())


@contextmanager
def built_once(django_db_blocker) -> Iterator[None]:
    """What the block builds stays for the module's tests, each in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


class CommittedCast:
    """The cast as committed in this process's test database. `seed`: the rows the migrations
    wrote (the calendar's overrides), which every flush is followed by again; `tables`: the
    tables holding rows once the cast is built."""

    def __init__(self) -> None:
        self.pristine: SimpleNamespace | None = None
        self.seed: str = ""
        self.tables: list[str] = []

    def build(self) -> None:
        """Keep the migrations' rows as the seed, then build the cast and commit it (the same
        tables hold rows after every later build)."""
        self.seed = serializers.serialize("json", _rows_of(_tables_with_rows()))
        self._make()
        self.tables = _tables_with_rows()

    def copy(self) -> SimpleNamespace:
        """The cast for one test: copies that share nothing with the committed originals."""
        assert self.pristine is not None
        return copy.deepcopy(self.pristine)

    def remove(self) -> None:
        """The database as the migrations left it, for a test that did not ask for the cast:
        in the test's own transaction, whose rollback brings the cast back, or committed
        before a transactional test, whose closing flush is followed by `after_flush`."""
        if self.pristine is None:
            return
        with transaction.atomic():
            with audit_guard_suspended() as cursor:
                for statement in connection.ops.sql_flush(no_style(), self.tables):
                    cursor.execute(statement)
            self._sow()

    def after_flush(self) -> None:
        """A transactional test's flush emptied the database: the seed and the cast again."""
        if self.pristine is not None:
            self._sow()
            self._make()

    def restore(self) -> None:
        """At the end of the run: the database as the migrations left it (for `--reuse-db`)."""
        if self.pristine is not None:
            empty_database()
            self._sow()

    def _make(self) -> None:
        with transaction.atomic():
            self.pristine = make_cast()

    def _sow(self) -> None:
        """The seed's rows back with their own ids, then each table's sequence moved past
        them, as `loaddata` does: after a flush that reset the sequences (a TRUNCATE's)
        the next run on a reused database would otherwise hand out an id the seed holds."""
        models = set()
        for row in serializers.deserialize("json", self.seed):
            row.save()
            models.add(type(row.object))
        statements = connection.ops.sequence_reset_sql(no_style(), sorted(models, key=str))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


COMMITTED = CommittedCast()


def empty_database() -> None:
    """Every table emptied and committed, as a transactional test's end does (the audit trail
    first, with its guard suspended: the guard refuses the flush's DELETE). Without resetting
    the sequences the flush is tests/flush.py's DELETE, not a TRUNCATE of every table: no test
    assumes an id, and `_sow` moves the seed's sequences past its rows."""
    with transaction.atomic():
        empty_audit_trail()
    call_command(
        "flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True
    )


def left_by_a_killed_run() -> bool:
    """Whether the reused PostgreSQL test database still holds a run's cast: a run killed
    before its end (a mutant past its time limit, docs/testing.md §1) never restored it, and
    every later run's cast would collide with it (a duplicate key in each test's setup)."""
    if connection.vendor != "postgresql":
        return False
    database = connection.settings_dict
    users = get_user_model()._meta.db_table
    try:
        with psycopg.connect(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"] or "postgres",
            password=database["PASSWORD"] or None,
            dbname=database["TEST"]["NAME"] or f"test_{database['NAME']}",
            autocommit=True,
        ) as checked:
            query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(users))
            return checked.execute(query).fetchone()[0]
    except psycopg.Error:  # no test database yet, or not migrated: nothing left behind
        return False


def _tables_with_rows() -> list[str]:
    """The portal's tables holding a row, but the ones a flush keeps (tests/flush.py)."""
    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        found = []
        for table in tables:
            if table in flush.KEPT:
                continue
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT 1 FROM {name} LIMIT 1")  # noqa: S608 (a table of ours)
            if cursor.fetchone():
                found.append(table)
    return found


def _rows_of(tables: list[str]) -> Iterator[Model]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table in tables:
            yield from model._base_manager.all()


def module_cast():
    """A `cast` fixture of the module (`cast = module_cast()` in a test module): the module's
    tests, and its other module fixtures, share one copy of the committed cast."""

    @pytest.fixture(scope="module")
    def cast(_committed_cast, django_db_blocker):
        with built_once(django_db_blocker):
            yield _committed_cast.copy()

    return cast


def forget_cached_scopes(cast: SimpleNamespace) -> None:
    """The cast's users as a test should meet them: without the scope an earlier test's
    request computed and cached on the object (agencies/access.py)."""
    for value in vars(cast).values():
        if hasattr(value, "_portal_scope"):
            del value._portal_scope
