"""The evidence G is built from, as small typed records: edges each detector found, probe outcomes, obstacle paths.

Detectors (:mod:`fr_core.graph.flow`, :mod:`fr_core.graph.probe`, :mod:`fr_core.graph.obstacles`) return these;
:mod:`fr_core.graph.assemble` turns them into graph attributes. :func:`evidence_to_json` and
:func:`evidence_from_json` give the plain form the disk cache (:mod:`fr_core.graph.cache`) keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "CandidatesCondition",
    "TruthyCondition",
    "EqualsCondition",
    "Condition",
    "FlowEdge",
    "StateEdge",
    "ObserveEdge",
    "TopicEdge",
    "ManualEdge",
    "EdgeEvidence",
    "ProbeOutcome",
    "ObstaclePath",
    "StatusMoved",
    "ObstacleEvidence",
    "ProbeEvidence",
    "Evidence",
    "evidence_from_json",
    "evidence_to_json",
]


class CandidatesCondition(TypedDict):
    """The state already offers a value of ``param`` (a file in the current folder). ``offers``: the environment's
    ``offer_key`` of the tool and ``param``: tools with the same key are offered the same values in every state."""

    type: Literal["candidates"]
    param: str
    offers: NotRequired[list[str]]


class TruthyCondition(TypedDict):
    """These attributes of the ``owner`` instance are set (a user logged in)."""

    type: Literal["truthy"]
    owner: str
    attrs: list[str]


class EqualsCondition(TypedDict):
    """These attributes of the ``owner`` instance have these values (doors locked, engine running)."""

    type: Literal["equals"]
    owner: str
    values: dict[str, Any]


#: How the state can satisfy a hard prerequisite without calling its tool (an edge's ``condition`` attribute).
Condition = CandidatesCondition | TruthyCondition | EqualsCondition


@dataclass(frozen=True, kw_only=True)
class FlowEdge:
    """``u``'s output can feed ``v``'s parameter ``param``: its ``field`` by name or by a value seen in a probe, or
    (``field`` ``None``) the same arguments, with ``u`` a read-only look before ``v`` acts."""

    u: str
    v: str
    param: str
    reason: str
    field: str | None = None
    kind: Literal["param_flow"] = "param_flow"


@dataclass(frozen=True, kw_only=True)
class StateEdge:
    """``v`` works (or fails differently) after ``u`` changed the state; ``hard`` with a ``condition`` saying how the
    state can already satisfy it (``candidates`` of ``param``, ``truthy`` flags, ``equals`` status values)."""

    u: str
    v: str
    reason: str
    hard: bool = False
    condition: Condition | None = None
    param: str | None = None
    kind: Literal["state"] = "state"


@dataclass(frozen=True, kw_only=True)
class ObserveEdge:
    """Read-only ``v`` shows what ``u`` changed: the same call, a different output."""

    u: str
    v: str
    reason: str
    kind: Literal["observe"] = "observe"


@dataclass(frozen=True, kw_only=True)
class TopicEdge:
    """Read-only ``u`` looks at the thing ``v`` is named after."""

    u: str
    v: str
    reason: str
    kind: Literal["topic"] = "topic"


@dataclass(frozen=True, kw_only=True)
class ManualEdge:
    """An edge a person added (``manual``) or removed (``manual_remove``) in the JSON overlay."""

    u: str
    v: str
    reason: str
    kind: Literal["manual", "manual_remove"] = "manual"


EdgeEvidence = FlowEdge | StateEdge | ObserveEdge | TopicEdge


@dataclass(frozen=True, kw_only=True)
class ProbeOutcome:
    """How ``tool`` fared in one probe state: it worked, it never worked (``reason``: its error), or it was ``picky``
    (accepted some of the state's values and refused others)."""

    tool: str
    outcome: Literal["ok", "failed", "picky"]
    reason: str = ""

    @property
    def kind(self) -> str:
        return f"probe_{self.outcome}"


@dataclass(frozen=True, kw_only=True)
class ObstaclePath:
    """Tools called before ``tool`` (with their setting-like arguments), ``tool``'s error gist after each of them
    (``None``: it worked) and its owner's status words there."""

    tool: str
    steps: tuple[tuple[str, dict[str, Any]], ...]
    gists: tuple[str | None, ...]
    status: tuple[dict[str, Any], ...]
    kind: Literal["obstacle_path"] = "obstacle_path"


@dataclass(frozen=True, kw_only=True)
class StatusMoved:
    """A call of ``tool`` changed these status words of ``owner``: they are no fixed condition."""

    tool: str
    owner: str
    attrs: tuple[str, ...]
    kind: Literal["status_moved"] = "status_moved"


ObstacleEvidence = ObstaclePath | StatusMoved
ProbeEvidence = EdgeEvidence | ProbeOutcome
Evidence = EdgeEvidence | ManualEdge | ProbeOutcome | ObstacleEvidence

_KINDS: dict[str, type] = {"param_flow": FlowEdge, "state": StateEdge, "observe": ObserveEdge, "topic": TopicEdge,
                           "manual": ManualEdge, "manual_remove": ManualEdge, "obstacle_path": ObstaclePath,
                           "status_moved": StatusMoved}


def evidence_to_json(record: Evidence) -> dict[str, Any]:
    """The plain (marshal- and JSON-safe) form of a record: its fields, ``kind`` among them."""
    if isinstance(record, ProbeOutcome):
        return {"kind": record.kind, "tool": record.tool, "reason": record.reason}
    out = dict(vars(record))
    if isinstance(record, ObstaclePath):
        out.update(steps=[list(s) for s in record.steps], gists=list(record.gists), status=list(record.status))
    elif isinstance(record, StatusMoved):
        out["attrs"] = list(record.attrs)
    return out


def evidence_from_json(data: dict[str, Any]) -> Evidence:
    """The record :func:`evidence_to_json` made ``data`` from."""
    kind = data["kind"]
    if kind.startswith("probe_"):
        return ProbeOutcome(tool=data["tool"], outcome=kind[len("probe_"):], reason=data.get("reason", ""))
    fields = dict(data)
    if kind == "obstacle_path":
        fields.update(steps=tuple((w, a) for w, a in data["steps"]), gists=tuple(data["gists"]),
                      status=tuple(data["status"]))
    elif kind == "status_moved":
        fields["attrs"] = tuple(data["attrs"])
    return _KINDS[kind](**fields)
