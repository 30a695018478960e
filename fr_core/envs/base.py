"""The one protocol every executable environment follows, and its implementation over Python objects."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from fr_core.envs.validate import check_call
from fr_core.errors import ToolSpecError
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["Environment", "ObjectEnvironment", "call_failed", "to_jsonable", "public_state"]


@runtime_checkable
class Environment(Protocol):
    """An executable tool environment with a snapshot-able state."""

    name: str

    def tools(self) -> list[ToolSpec]: ...

    def execute(self, call: ToolCall) -> CallResult: ...

    def snapshot(self) -> Any: ...

    def restore(self, snapshot: Any) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def candidates(self, tool: str, param: str) -> list[Any]: ...

    def copy(self) -> "Environment": ...


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Turn a tool's return value into plain JSON data (tuples→lists, sets→sorted lists, objects→str)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if _depth > 50:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v, _depth + 1) for v in value), key=repr)
    return repr(value)


def public_state(instance: object) -> dict[str, Any]:
    """The public attributes of an instance as JSON: the default state view of a class."""
    return {k: to_jsonable(v) for k, v in vars(instance).items() if not k.startswith("_")}


def call_failed(result: CallResult) -> bool:
    """An error result, or a refusal the class reports as data (``[{"error": ...}]``, ``{"login_status": False}``).

    Status *queries* (tools with ``status`` in their name) may answer ``False``: that is information, not failure.
    """
    if result.error is not None:
        return True
    value = result.value
    if isinstance(value, list) and value and all(isinstance(v, dict) and "error" in v for v in value):
        return True
    if isinstance(value, dict) and "status" not in result.call.name:
        for key, v in value.items():
            if v is False and (key == "success" or key.endswith("_status")):
                return True
    return False


StateView = Callable[[object], dict[str, Any]]
CandidateFn = Callable[[object, str, str], list[Any]]
PairFn = Callable[[object, ToolSpec], list[tuple[str, str, list[tuple[Any, Any]]]]]


class ObjectEnvironment:
    """Tools are bound methods of owned Python instances; calls are validated, then dispatched with ``getattr``.

    ``instances`` maps a class name to the instance this environment owns (never shared with anyone).
    ``specs`` gives one ToolSpec per tool, its ``owner`` naming the instance that runs it.
    Nothing is ever evaluated: a call is a name looked up in the spec table plus keyword arguments.
    """

    def __init__(
        self,
        name: str,
        instances: dict[str, object],
        specs: Iterable[ToolSpec],
        *,
        state_views: dict[str, StateView] | None = None,
        candidate_fns: dict[str, CandidateFn] | None = None,
        pair_fns: dict[str, PairFn] | None = None,
    ) -> None:
        self.name = name
        self._instances = instances
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                other = self._specs[spec.name].owner
                raise ToolSpecError(
                    f"tool name '{spec.name}' is defined by both {other} and {spec.owner}; "
                    "tool names must be unique within one environment"
                )
            if spec.owner not in instances:
                raise ToolSpecError(f"tool '{spec.name}' belongs to '{spec.owner}', which is not in {self.name}")
            if not callable(getattr(instances[spec.owner], spec.name, None)):
                raise ToolSpecError(f"{spec.owner} has no method '{spec.name}' for the tool of that name")
            self._specs[spec.name] = spec
        self._state_views = state_views or {}
        self._candidate_fns = candidate_fns or {}
        self._pair_fns = pair_fns or {}

    # -- protocol -----------------------------------------------------------------
    def tools(self) -> list[ToolSpec]:
        return list(self._specs.values())

    def spec(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self._instances)

    def execute(self, call: ToolCall) -> CallResult:
        spec, rejected = check_call(self._specs, call, self.name)
        if rejected is not None:
            return rejected
        method = getattr(self._instances[spec.owner], spec.name)
        try:
            value = method(**copy.deepcopy(call.arguments))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a tool's own failure, even SystemExit, is a result, not a crash of the workbench
            return CallResult(call, error=f"{call.name} raised {type(exc).__name__}: {exc}")
        value = to_jsonable(value)
        if isinstance(value, dict) and "error" in value:
            return CallResult(call, error=str(value["error"]))
        return CallResult(call, value=value)

    def snapshot(self) -> dict[str, object]:
        return copy.deepcopy(self._instances)

    def restore(self, snapshot: dict[str, object]) -> None:
        self._instances = copy.deepcopy(snapshot)

    def state(self) -> dict[str, Any]:
        return {
            cls: self._state_views.get(cls, public_state)(inst) for cls, inst in self._instances.items()
        }

    def candidates(self, tool: str, param: str) -> list[Any]:
        """Values the current state offers for ``param`` of ``tool`` (existing files, user ids ...)."""
        spec = self._specs.get(tool)
        if spec is None:
            return []
        fn = self._candidate_fns.get(spec.owner)
        if fn is None:
            return []
        return fn(self._instances[spec.owner], tool, param)

    def pairs(self, tool: str) -> list[tuple[str, str, list[tuple[Any, Any]]]]:
        """Arguments of ``tool`` that only work together, as ``(first, second, valid pairs)`` from the current
        state (a username and its password); the sampler keeps such arguments paired."""
        spec = self._specs.get(tool)
        fn = self._pair_fns.get(spec.owner) if spec is not None else None
        return fn(self._instances[spec.owner], spec) if fn is not None else []

    def instance(self, cls: str) -> object:
        return self._instances[cls]

    def copy(self) -> "ObjectEnvironment":
        clone = copy.copy(self)
        clone._instances = copy.deepcopy(self._instances)
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {len(self._specs)} tools>"
