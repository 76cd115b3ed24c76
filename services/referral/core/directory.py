"""The partner directory: who serves what, where, for whom, and how many at once.

It is data (`deploy/config/partners.yaml`), validated when the service starts. A bad file stops the
service with a `DirectoryError` that names the file, the line and the field of every problem, so
whoever edited it can fix it without reading a stack trace.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo
from pydantic import field_validator as validates

from shared.events.codes import ARRIVAL_CATEGORIES, Category, Sex, Vulnerability

from .payloads import DECLARED_VULNERABILITIES

# the same rule shared.topics applies: the id becomes part of `referrals.<id>.v1` and
# `referral.responses.<id>.v1`
PARTNER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


def _not_a_version(partner_id: str) -> str:
    # partner `v1` would write by the prefix `referral.responses.v1.`, which reaches the deprecated
    # shared topic's dead letters (`referral.responses.v1.dlq`)
    if partner_id[0] == "v" and partner_id[1:].isdigit():
        raise ValueError(f"{partner_id!r} reads like a topic version: choose another id")
    return partner_id


class AgeGroup(StrEnum):
    ANY = "any"
    MINORS = "minors"
    ADULTS = "adults"


def _known_municipality(code: str, info: ValidationInfo) -> str:
    known: Mapping[str, str] | None = (info.context or {}).get("municipalities")
    if known is not None and code not in known:
        raise ValueError(f"{code!r} is not a municipality code in municipalities.yaml")
    return code


MunicipalityCode = Annotated[str, AfterValidator(_known_municipality)]


def _known_arrival_point(code: str, info: ValidationInfo) -> str:
    known: Mapping[str, str] | None = (info.context or {}).get("arrival_points")
    if known is not None and code not in known:
        raise ValueError(f"{code!r} is not an arrival point code in arrival-points.yaml")
    return code


ArrivalPointCode = Annotated[str, AfterValidator(_known_arrival_point)]


class Eligibility(BaseModel):
    """Whom a partner takes. Checked against the people a referral concerns (see routing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_group: AgeGroup = AgeGroup.ANY
    sex: Sex | None = None
    # the case must carry at least one of these (e.g. a shelter for victims of trafficking)
    requires_any_of: tuple[Vulnerability, ...] = ()


class Service(BaseModel):
    """What a partner offers in one category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    capacity: int = Field(ge=0, le=100_000)
    deadline_hours: int = Field(ge=1, le=24 * 60)
    # airport reception and transport: the answer is due at least this long before the scheduled
    # arrival (and no later than `deadline_hours` after the referral); other categories: unused
    answer_before_arrival_hours: int = Field(default=24, ge=0, le=24 * 14)


class Partner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=PARTNER_ID_PATTERN), AfterValidator(_not_a_version)]
    name: str = Field(min_length=1)
    # where it serves: destination municipalities (every category but airport reception), and
    # arrival points (airport reception and transport: a transport partner serves the trips from
    # its arrival points to its municipalities)
    municipalities: tuple[MunicipalityCode, ...] = ()
    arrival_points: tuple[ArrivalPointCode, ...] = ()
    categories: dict[Category, Service] = Field(min_length=1)
    eligibility: Eligibility = Eligibility()

    @validates("categories")
    @classmethod
    def _covers_what_it_serves(
        cls, value: dict[Category, Service], info: ValidationInfo
    ) -> dict[Category, Service]:
        # a list that failed its own checks is not in `info.data`: its problem is reported already
        places = info.data.get("municipalities", ("reported",))
        points = info.data.get("arrival_points", ("reported",))
        for category in value:
            if category is not Category.AIRPORT_RECEPTION and not places:
                raise ValueError(f"{category.value}: name the municipalities the partner serves")
            if category in ARRIVAL_CATEGORIES and not points:
                raise ValueError(f"{category.value}: name the arrival points the partner serves")
        return value

    @validates("eligibility")
    @classmethod
    def _requires_only_declared(cls, value: Eligibility, info: ValidationInfo) -> Eligibility:
        # A partner chosen because of a vulnerability tells itself that the case has it: only a
        # category that declares the vulnerability may be routed on it (payloads.py).
        for category in info.data.get("categories") or {}:
            undeclared = set(value.requires_any_of) - DECLARED_VULNERABILITIES[category]
            if undeclared:
                names = ", ".join(sorted(undeclared))
                raise ValueError(
                    f"requires_any_of: {category.value} partners may not be told of {names}"
                    " (services/referral/core/payloads.py declares what each category may know)"
                )
        return value

    def serves(self, category: Category) -> bool:
        return category in self.categories

    def covers(self, municipality: str) -> bool:
        return municipality in self._municipality_set

    @functools.cached_property
    def _municipality_set(self) -> frozenset[str]:
        # routing asks every partner for every referral; a partner may list a hundred places
        return frozenset(self.municipalities)

    def covers_trip(self, category: Category, arrival_point: str, municipality: str) -> bool:
        """Airport reception: the arrival point; transport: from the arrival point to the municipality."""
        if arrival_point not in self.arrival_points:
            return False
        return category is Category.AIRPORT_RECEPTION or self.covers(municipality)


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partners: tuple[Partner, ...]
    # Categories (besides airport reception and transport, always) whose referrals are issued when
    # an arrival is announced rather than once the family has arrived: e.g. housing, so that a
    # place is ready on the day. The others wait for the arrival's confirmation.
    issued_on_announcement: tuple[Category, ...] = ()

    def on_announcement(self, category: Category) -> bool:
        return category in ARRIVAL_CATEGORIES or category in self.issued_on_announcement

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def ids(self) -> list[str]:
        return sorted(p.id for p in self.partners)


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class DirectoryError(ValueError):
    """The directory file cannot be used; `problems` say where and why."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {path}:{p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the partner directory:\n{lines}")


def load_municipalities(path: Path) -> dict[str, str]:
    """Municipality code → name, across every country in `municipalities.yaml`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        entry["code"]: entry["name"]
        for country in (data.get("countries") or {}).values()
        for entry in country.get("municipalities") or []
    }


ARRIVAL_POINTS_FILE = "arrival-points.yaml"


def load_arrival_points(path: Path) -> dict[str, str]:
    """Arrival point code → name (`arrival-points.yaml`; intake validates the file in full)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {entry["code"]: entry["name"] for entry in data.get("arrival_points") or []}


def load_directory(
    path: Path, municipalities: Mapping[str, str], arrival_points: Mapping[str, str] | None = None
) -> Directory:
    """Parse and validate `path`; raise DirectoryError naming the line and field of each problem.
    Arrival points are checked against `arrival_points`, or else against the `arrival-points.yaml`
    beside `path`."""
    if arrival_points is None and (path.parent / ARRIVAL_POINTS_FILE).exists():
        arrival_points = load_arrival_points(path.parent / ARRIVAL_POINTS_FILE)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise DirectoryError(path, [Problem(line, "<yaml>", str(error.problem or error))]) from error
    if root is None:
        raise DirectoryError(path, [Problem(1, "partners", "the file is empty")])
    problems = list(_duplicate_keys(root))
    data: Any = yaml.safe_load(text)
    try:
        context = {"municipalities": municipalities, "arrival_points": arrival_points}
        directory = Directory.model_validate(data, context=context)
    except ValidationError as error:
        for e in error.errors():
            loc = tuple(e["loc"])
            problems.append(Problem(line_of(root, loc), field_name(loc), e["msg"]))
    else:
        problems.extend(_duplicate_ids(root, directory))
    if problems:
        raise DirectoryError(path, sorted(problems, key=lambda p: p.line))
    return directory


def line_of(root: yaml.Node, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the node a pydantic error location points at: the deepest node the
    location reaches (a missing field points at the mapping it is missing from)."""
    node: yaml.Node = root
    key_node: yaml.Node | None = None
    for part in loc:
        if part == "[key]" and key_node is not None:
            node = key_node
            continue
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                break
            key_node, node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1


def field_name(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def _duplicate_keys(node: yaml.Node, path: str = "") -> Iterator[Problem]:
    # PyYAML keeps the last of two equal keys without a word; a directory must not lose data silently
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                yield Problem(key.start_mark.line + 1, f"{path}.{key.value}".lstrip("."), "duplicate key")
            seen.add(key.value)
            yield from _duplicate_keys(value, f"{path}.{key.value}")
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, f"{path}[{index}]")


def _duplicate_ids(root: yaml.Node, directory: Directory) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, partner in enumerate(directory.partners):
        if partner.id in seen:
            loc = ("partners", index, "id")
            yield Problem(line_of(root, loc), field_name(loc), f"duplicate partner id {partner.id!r}")
        seen.add(partner.id)
