"""Certificate subjects as docs/domain.md §8 writes them: C=VN, L, O, OU…, CN, E.

O is the level-1 organisation in upper case (a province appears as its People's Committee,
"UBND TỈNH …"), OU the levels 2 to 4 below it, L the province without "Tỉnh"/"Thành phố".
No ID number goes into a subject. Pure functions over already-loaded organisations.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.models import Organization
from certificates.exceptions import CertificateError

MAX_UNITS = 3  # OU for organisation levels 2, 3 and 4
UB_NAME = 64  # RFC 5280 upper bound of CN, O, OU (characters)
UB_EMAIL = 255
_PROVINCE_PREFIXES = ("Tỉnh ", "Thành phố ", "tỉnh ", "thành phố ")


@dataclass(frozen=True)
class SubjectInfo:
    common_name: str
    email: str = ""
    organization: str = ""
    units: tuple[str, ...] = ()
    locality: str = ""
    country: str = "VN"

    def validate(self) -> None:
        if not self.common_name.strip():
            raise CertificateError(_("Tên chứng thư (CN) không được để trống."), code="subject")
        for label, value in (
            ("CN", self.common_name),
            ("O", self.organization),
            ("L", self.locality),
            *(("OU", unit) for unit in self.units),
        ):
            if len(value) > UB_NAME:
                raise CertificateError(
                    _("Trường %(field)s dài quá %(limit)s ký tự: %(value)s")
                    % {"field": label, "limit": UB_NAME, "value": value},
                    code="subject",
                )
        if len(self.email) > UB_EMAIL or (self.email and not self.email.isascii()):
            raise CertificateError(_("Địa chỉ thư điện tử không hợp lệ."), code="subject")

    @property
    def organizational_units(self) -> str:
        """The registry's one-line form of the OU levels (level 2 first)."""
        return " / ".join(self.units)


def locality_of(province: Organization | None) -> str:
    if province is None:
        return ""
    name = province.name
    for prefix in _PROVINCE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def level_name(org: Organization) -> str:
    if org.kind == OrgKind.PROVINCE:
        return f"UBND {org.name}"
    return org.name


def ancestry_ids(org: Organization) -> list[int]:
    """Ids from the top of the tree down to `org` itself, read from its materialised path."""
    ids = [int(part) for part in org.path.strip("/").split("/") if part]
    return ids or [org.pk]


def load_ancestries(orgs: Iterable[Organization]) -> dict[int, Organization]:
    """Every organisation on the paths of `orgs`, in one query (for batch issuance)."""
    wanted: set[int] = set()
    for org in orgs:
        wanted.update(ancestry_ids(org))
    return Organization.objects.select_related("province").in_bulk(wanted)


def subject_for(
    *,
    node: Organization,
    common_name: str,
    email: str,
    include_node: bool = True,
    nodes: Mapping[int, Organization] | None = None,
) -> SubjectInfo:
    """The subject of a certificate whose holder sits at `node` of the organisation tree.

    `include_node` is False for an organisation's own certificate: its name is the CN, the
    levels above it give O and OU. `nodes` are preloaded ancestors (see `load_ancestries`).
    """
    nodes = nodes if nodes is not None else load_ancestries([node])
    chain = [nodes[pk] for pk in ancestry_ids(node) if pk in nodes]
    if not include_node and chain and chain[-1].pk == node.pk:
        chain = chain[:-1]
    if not chain:  # a top-level organisation's own certificate names itself as O
        chain = [node]
    province = node if node.kind == OrgKind.PROVINCE else nodes.get(node.province_id or 0)
    if province is None and node.province_id:
        province = node.province
    subject = SubjectInfo(
        common_name=common_name.strip(),
        email=email.strip().lower(),
        organization=level_name(chain[0]).upper(),
        units=tuple(level_name(org) for org in chain[1 : 1 + MAX_UNITS]),
        locality=locality_of(province),
    )
    subject.validate()
    return subject
