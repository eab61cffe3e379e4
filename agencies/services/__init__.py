"""Writes on the organisation tree, its codes and people (docs/architecture.md §2.2): the tree
and people in `tree`, the official electronic identifiers in `codes`."""

from agencies.services.codes import (
    MAX_CODE_ROWS,
    CodePlan,
    CodeRow,
    CodesChanged,
    CodesCheck,
    organization_code_problems,
    organization_code_set,
    organization_codes_apply,
    organization_codes_check,
)
from agencies.services.corrections import person_correct
from agencies.services.memberships import membership_grant, superuser_grant
from agencies.services.tree import (
    PERSON_FIELDS,
    PersonPlan,
    document_number_next,
    organization_find,
    organization_find_or_create,
    person_move,
    person_upsert,
    person_upsert_apply,
    person_upsert_plan,
)

__all__ = [
    "MAX_CODE_ROWS",
    "PERSON_FIELDS",
    "CodePlan",
    "CodeRow",
    "CodesChanged",
    "CodesCheck",
    "PersonPlan",
    "document_number_next",
    "membership_grant",
    "organization_code_problems",
    "organization_code_set",
    "organization_codes_apply",
    "organization_codes_check",
    "organization_find",
    "organization_find_or_create",
    "person_correct",
    "person_move",
    "person_upsert",
    "person_upsert_apply",
    "person_upsert_plan",
    "superuser_grant",
]
