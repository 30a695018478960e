"""The one protocol every executable environment follows, and its implementation over Python objects."""

from __future__ import annotations

import copy
import marshal
import pickle
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from fr_core.envs.validate import check_call
from fr_core.errors import ToolSpecError
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["Environment", "Frozen", "ObjectEnvironment", "call_failed", "copy_data", "freeze", "serialise", "thaw",
           "to_jsonable", "public_state"]


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


_ATOMS = (str, int, float, bool, type(None))


def serialise(value: Any) -> tuple[bytes, Callable[[bytes], Any]]:
    """``value`` as bytes and the function that loads them back: marshal for plain builtin data (the fastest to
    load), else pickle, which raises ``PicklingError``, ``TypeError`` or ``AttributeError`` for what it cannot take."""
    try:
        return marshal.dumps(value), marshal.loads
    except ValueError:  # not only builtin data (a File object, a datetime)
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL), pickle.loads


def copy_data(value: Any) -> Any:
    """A private copy of call arguments or a tool's data (a new dict when every value is immutable)."""
    if isinstance(value, dict) and all(type(v) in _ATOMS for v in value.values()):
        return dict(value)
    try:
        data, loads = serialise(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)
    return loads(data)


@dataclass(frozen=True, eq=False, slots=True)
class Frozen:
    """One instance's state, stored immutably: its attributes serialised, or, for a class that cannot be taken
    that way (slots, custom reduce, a lambda or a lock in its state), a private deep copy of the instance."""

    cls: type
    data: bytes | None  # the attributes, from serialise()
    loads: Callable[[bytes], dict[str, Any]] = pickle.loads
    randoms: tuple[tuple[str, tuple], ...] = ()  # (attribute, Random.getstate()): a tuple of ints, immutable
    deep: object = None


_PLAIN_HOOKS = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__deepcopy__")


def _plain(cls: type) -> bool:
    return all(getattr(cls, h, None) is getattr(object, h, None) for h in _PLAIN_HOOKS) and "__slots__" not in vars(cls)


def freeze(instance: object) -> Frozen:
    """The state of ``instance`` as it is now; later changes to the instance do not reach it."""
    cls = type(instance)
    if _plain(cls) and hasattr(instance, "__dict__"):
        attrs = dict(instance.__dict__)
        # A pickled random.Random is 625 ints to rebuild: most of a restore. Its getstate() is an immutable
        # tuple that setstate() loads ten times faster. None keeps the attribute's place in the order.
        randoms = tuple((k, v.getstate()) for k, v in attrs.items() if type(v) is random.Random)
        attrs.update((k, None) for k, _ in randoms)
        try:
            return Frozen(cls, *serialise(attrs), randoms)
        except (pickle.PicklingError, TypeError, AttributeError):
            pass
    return Frozen(cls, None, deep=copy.deepcopy(instance))


def thaw(frozen: Frozen, into: object | None = None) -> object:
    """An instance in the frozen state: ``into`` itself when given and its state can be set in place, else a new one.

    Loading serialised attributes is several times faster than ``copy.deepcopy`` (bench/bench_snapshots.py)."""
    if frozen.data is None:
        return copy.deepcopy(frozen.deep)
    attrs = frozen.loads(frozen.data)
    reuse = type(into) is frozen.cls
    instance = into if reuse else frozen.cls.__new__(frozen.cls)
    for name, state in frozen.randoms:
        rng = instance.__dict__.get(name) if reuse else None
        if type(rng) is not random.Random:  # else the instance's own generator is reused: no other object holds it
            rng = random.Random.__new__(random.Random)
        rng.setstate(state)
        attrs[name] = rng
    instance.__dict__ = attrs
    return instance


StateView = Callable[[object], dict[str, Any]]
CandidateFn = Callable[[object, str, str], list[Any]]
PairFn = Callable[[object, ToolSpec], list[tuple[str, str, list[tuple[Any, Any]]]]]


class ObjectEnvironment:
    """Tools are bound methods of owned Python instances; calls are validated, then dispatched with ``getattr``.

    ``instances`` maps a class name to the instance this environment owns (never shared with anyone).
    ``specs`` gives one ToolSpec per tool, its ``owner`` naming the instance that runs it.
    Nothing is ever evaluated: a call is a name looked up in the spec table plus keyword arguments.

    A snapshot is one :class:`Frozen` state per class. The environment remembers which frozen state each instance
    still equals (a call changes only its owner's instance): ``restore`` thaws only the classes that changed, and
    ``snapshot`` re-freezes only those. ``instance()`` is for reading; change state through ``execute``.
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
        self._frozen: dict[str, Frozen] = {}  # class → the frozen state its instance still equals
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
        self._frozen.pop(spec.owner, None)
        try:
            value = method(**copy_data(call.arguments))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a tool's own failure, even SystemExit, is a result, not a crash of the workbench
            return CallResult(call, error=f"{call.name} raised {type(exc).__name__}: {exc}")
        value = to_jsonable(value)
        if isinstance(value, dict) and "error" in value:
            return CallResult(call, error=str(value["error"]))
        return CallResult(call, value=value)

    def snapshot(self) -> dict[str, Frozen]:
        for cls, inst in self._instances.items():
            if cls not in self._frozen:
                self._frozen[cls] = freeze(inst)
        return dict(self._frozen)

    def restore(self, snapshot: dict[str, Frozen]) -> None:
        if len(snapshot) != len(self._instances):
            raise ValueError(f"a snapshot of classes {sorted(snapshot)} cannot restore {self.name}")
        current = self._frozen
        for cls, frozen in snapshot.items():
            if current.get(cls) is not frozen:
                if cls not in self._instances:
                    raise ValueError(f"a snapshot of classes {sorted(snapshot)} cannot restore {self.name}")
                self._instances[cls] = thaw(frozen, self._instances[cls])
                current[cls] = frozen

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
        frozen = self.snapshot()
        clone = object.__new__(type(self))  # copy.copy's generic reduce costs more than a small state's thaw
        clone.__dict__.update(self.__dict__)
        clone._instances = {cls: thaw(f) for cls, f in frozen.items()}
        clone._frozen = frozen
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {len(self._specs)} tools>"
