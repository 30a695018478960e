"""The one protocol every executable environment follows, and its implementation over Python objects."""

from __future__ import annotations

import copy
import marshal
import pickle
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from fr_core.envs.knowledge import (GENERAL, ArgumentHint, ClassKnowledge, KnowledgeHooks, Pair, public_state,
                                    to_jsonable)
from fr_core.envs.validate import check_call
from fr_core.errors import ToolSpecError
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["Environment", "Frozen", "ObjectEnvironment", "Tracked", "call_failed", "copy_data", "freeze", "serialise",
           "thaw", "track_randoms", "to_jsonable", "public_state", "state_change", "state_unchanged", "try_call"]


@runtime_checkable
class Environment(Protocol):
    """An executable tool environment with a snapshot-able state, and what it knows about its tools' arguments.

    The knowledge hooks (``candidates`` … ``check_constraints``) are all the sampler, the graph and validation
    know about particular tools: an adapter answers them (see :mod:`fr_core.envs.knowledge`)."""

    name: str

    def tools(self) -> list[ToolSpec]: ...

    def execute(self, call: ToolCall) -> CallResult: ...

    def snapshot(self) -> Any: ...

    def restore(self, snapshot: Any) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def copy(self) -> "Environment": ...

    def candidates(self, tool: str, param: str) -> list[Any]: ...

    def offer_key(self, tool: str, param: str) -> tuple[str, ...]: ...

    def argument_hint(self, tool: str, param: str) -> ArgumentHint: ...

    def fresh_value(self, tool: str, param: str, args: dict[str, Any], rng: random.Random) -> Any: ...

    def free_text(self, tool: str, param: str, rng: random.Random) -> str | None: ...

    def pairs(self, tool: str) -> list[Pair]: ...

    def probe_pairs(self, tool: str) -> list[Pair]: ...

    def distinct(self, tool: str) -> Sequence[tuple[str, str]]: ...

    def check_constraints(self, call: ToolCall) -> str | None: ...


def call_failed(result: CallResult) -> bool:
    """An error result, or a refusal the class reports as data (``[{"error": ...}]``, ``["Error: not logged in"]``,
    ``{"login_status": False}``).

    Status *queries* (tools with ``status`` in their name) may answer ``False``: that is information, not failure.
    """
    if result.error is not None:
        return True
    value = result.value
    if isinstance(value, list) and value and all(isinstance(v, dict) and "error" in v for v in value):
        return True
    if isinstance(value, list) and value and all(isinstance(v, str) and v[:6].lower() == "error:" for v in value):
        return True
    # ``False in`` (C speed) also finds a 0; only then are the keys read
    if isinstance(value, dict) and False in value.values() and "status" not in result.call.name:
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

    def same(self, other: Frozen) -> bool:
        """Whether ``other`` holds exactly this state (its attributes serialise to the same bytes)."""
        return self is other or (self.data is not None and self.data == other.data and self.cls is other.cls
                                 and self.randoms == other.randoms)


_PLAIN_HOOKS = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__", "__deepcopy__")


_PLAIN: dict[type, bool] = {}  # class → whether its attributes can be serialised as they are


def _plain(cls: type) -> bool:
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = (all(getattr(cls, h, None) is getattr(object, h, None) for h in _PLAIN_HOOKS)
                               and "__slots__" not in vars(cls))
    return plain


class Tracked(random.Random):
    """A ``random.Random`` that counts what changes its state (draws, seeding, ``setstate``), so that its state is
    read (625 ints, most of a snapshot of a class that holds one) only when it was used since it was last read. Its
    numbers are the base class's: every draw goes through ``random`` or ``getrandbits``."""

    changes = 0
    _read: tuple[int, tuple] | None = None  # (changes, getstate()) when last read

    def random(self) -> float:
        self.changes += 1
        return super().random()

    def getrandbits(self, k: int) -> int:
        self.changes += 1
        return super().getrandbits(k)

    def seed(self, *args: Any, **kwargs: Any) -> None:
        self.changes += 1
        super().seed(*args, **kwargs)

    def setstate(self, state: tuple) -> None:
        self.changes += 1
        super().setstate(state)
        self._read = (self.changes, state)

    def state(self) -> tuple:
        """``getstate()``, the same tuple while nothing changed it."""
        if self._read is None or self._read[0] != self.changes:
            self._read = (self.changes, self.getstate())
        return self._read[1]


def track_randoms(instance: object) -> None:
    """Swap the ``random.Random`` attributes of ``instance`` for :class:`Tracked` generators in the same state."""
    for name, value in list(getattr(instance, "__dict__", {}).items()):
        if type(value) is random.Random:
            tracked = Tracked.__new__(Tracked)
            tracked.setstate(value.getstate())
            setattr(instance, name, tracked)


_RANDOMS = frozenset({random.Random, Tracked})


def freeze(instance: object) -> Frozen:
    """The state of ``instance`` as it is now; later changes to the instance do not reach it."""
    cls = type(instance)
    if _plain(cls) and hasattr(instance, "__dict__"):
        attrs = dict(instance.__dict__)
        randoms: tuple[tuple[str, tuple], ...] = ()
        if not _RANDOMS.isdisjoint(map(type, attrs.values())):  # most classes hold none
            # A pickled random.Random is 625 ints to rebuild: most of a restore. Its getstate() is an immutable
            # tuple that setstate() loads ten times faster. None keeps the attribute's place in the order.
            randoms = tuple((k, v.state() if type(v) is Tracked else v.getstate()) for k, v in attrs.items()
                            if type(v) in _RANDOMS)
            attrs.update((k, None) for k, _ in randoms)
        try:
            return Frozen(cls, *serialise(attrs), randoms)
        except (pickle.PicklingError, TypeError, AttributeError):
            pass
    return Frozen(cls, None, deep=copy.deepcopy(instance))


def thaw(frozen: Frozen, into: object | None = None, *, randoms_of: object | None = None) -> object:
    """An instance in the frozen state: ``into`` itself when given and its state can be set in place, else a new one.
    ``randoms_of``: an instance whose random generators the new one shares instead of its own (an earlier state
    only looked at: its generators are not what a view shows, and rebuilding them is most of the cost).

    Loading serialised attributes is several times faster than ``copy.deepcopy`` (bench/bench_snapshots.py)."""
    if frozen.data is None:
        return copy.deepcopy(frozen.deep)
    attrs = frozen.loads(frozen.data)
    reuse = type(into) is frozen.cls
    instance = into if reuse else object.__new__(frozen.cls)
    if randoms_of is not None:
        attrs.update((name, getattr(randoms_of, name, None)) for name, _ in frozen.randoms)
        instance.__dict__ = attrs
        return instance
    for name, state in frozen.randoms:
        rng = instance.__dict__.get(name) if reuse else None
        if type(rng) is not Tracked:  # else the instance's own generator is reused: no other object holds it
            rng = Tracked.__new__(Tracked)
        elif rng._read is not None and rng._read[1] is state and rng._read[0] == rng.changes:
            attrs[name] = rng  # unused since it was frozen in this very state: nothing to load
            continue
        rng.setstate(state)
        attrs[name] = rng
    instance.__dict__ = attrs
    return instance


_VIEWS_KEPT = 4  # whole state views remembered per class (see ObjectEnvironment.class_changes)


class ObjectEnvironment(KnowledgeHooks):
    """Tools are bound methods of owned Python instances; calls are validated, then dispatched with ``getattr``.

    ``instances`` maps a class name to the instance this environment owns (never shared with anyone).
    ``specs`` gives one ToolSpec per tool, its ``owner`` naming the instance that runs it.
    Nothing is ever evaluated: a call is a name looked up in the spec table plus keyword arguments.
    ``knowledge`` maps a class name to what its adapter knows (:class:`ClassKnowledge`); other classes get the
    general evidence of the defaults.

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
        knowledge: dict[str, ClassKnowledge] | None = None,
    ) -> None:
        self.name = name
        self._instances = instances
        for instance in instances.values():
            track_randoms(instance)
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
        self._left: dict[str, Frozen] = {}  # class → the frozen state it was in before the calls since
        self._views: dict[str, dict[Frozen, Any]] = {}  # class → whole state views of its last few states
        self._knowledge = knowledge or {}

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
        if rejected is not None or spec is None:
            return rejected or CallResult(call, error=f"unknown tool '{call.name}'")
        method = getattr(self._instances[spec.owner], spec.name)
        frozen = self._frozen.pop(spec.owner, None)
        if frozen is not None:
            self._left[spec.owner] = frozen
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
        for cls in self._instances:
            if cls not in self._frozen:
                self.frozen(cls)
        return dict(self._frozen)

    def frozen(self, cls: str) -> Frozen:
        """The frozen state of class ``cls`` as it is now: its part of :meth:`snapshot`, without the others. After
        calls that left it as it was (reads), the very frozen state from before them: a restore to that state then
        has nothing to load."""
        frozen = self._frozen.get(cls)
        if frozen is None:
            frozen = freeze(self._instances[cls])
            left = self._left.pop(cls, None)
            if left is not None and left.same(frozen):
                frozen = left
            self._frozen[cls] = frozen
        return frozen

    def restore(self, snapshot: dict[str, Frozen]) -> None:
        if len(snapshot) != len(self._instances):
            raise ValueError(f"a snapshot of classes {sorted(snapshot)} cannot restore {self.name}")
        current, instances = self._frozen, self._instances
        for cls, frozen in snapshot.items():
            if current.get(cls) is not frozen:
                instance = instances.get(cls)
                if instance is None:
                    raise ValueError(f"a snapshot of classes {sorted(snapshot)} cannot restore {self.name}")
                if frozen.data is not None and not frozen.randoms and type(instance) is frozen.cls:
                    instance.__dict__ = frozen.loads(frozen.data)  # thaw() in place, its most common case inlined
                else:
                    instances[cls] = thaw(frozen, instance)
                current[cls] = frozen

    def state(self) -> dict[str, Any]:
        return {cls: self._knowledge.get(cls, GENERAL).state_view(inst) for cls, inst in self._instances.items()}

    def _knowing(self, tool: str) -> tuple[ToolSpec, ClassKnowledge, object] | None:
        spec = self._specs.get(tool)
        if spec is None:
            return None
        return spec, self._knowledge.get(spec.owner, GENERAL), self._instances[spec.owner]

    def instance(self, cls: str) -> object:
        return self._instances[cls]

    def class_changes(self, cls: str, before: Frozen) -> tuple[Any, Any]:
        """The state views of one class in ``before`` (its part of a snapshot) and now, or the parts of them
        that differ."""
        live = self._instances[cls]
        knowledge = self._knowledge.get(cls, GENERAL)
        if knowledge.whole_views:
            return self._whole_view(cls, knowledge, before), self._whole_view(cls, knowledge, self.frozen(cls))
        return knowledge.state_changes(thaw(before, randoms_of=live), live)

    def _whole_view(self, cls: str, knowledge: ClassKnowledge, frozen: Frozen) -> Any:
        """The whole state view of class ``cls`` in the state ``frozen``, remembered for the last few states: the
        state after one call is the state before the next (the caller must not change the view)."""
        seen = self._views.setdefault(cls, {})
        view = seen.get(frozen)
        if view is None:
            live = self._instances[cls]
            view = seen[frozen] = knowledge.state_view(live if self._frozen.get(cls) is frozen
                                                       else thaw(frozen, randoms_of=live))
            if len(seen) > _VIEWS_KEPT:
                del seen[next(iter(seen))]
        return view

    def copy(self) -> "ObjectEnvironment":
        frozen = self.snapshot()
        clone = object.__new__(type(self))  # copy.copy's generic reduce costs more than a small state's thaw
        clone.__dict__.update(self.__dict__)
        clone._instances = {cls: thaw(f) for cls, f in frozen.items()}
        clone._frozen, clone._left, clone._views = frozen, {}, {}
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {len(self._specs)} tools>"


def state_unchanged(env: Environment, owner: str, before: Any) -> bool:
    """Whether class ``owner`` of an object environment is exactly as in the snapshot ``before`` (its attributes
    serialise to the same bytes); ``False`` when that cannot be told cheaply."""
    if not isinstance(env, ObjectEnvironment) or not isinstance(before, dict) or owner not in before:
        return False
    return before[owner].same(env.frozen(owner))


def state_change(env: Environment, owner: str, before: Any) -> tuple[Any, Any] | None:
    """The state of class ``owner`` (the whole state where the environment has no such class) in the snapshot
    ``before`` and now, or ``None`` when it is the same: what a call of one of ``owner``'s tools changed.

    An object environment compares the owner's frozen attributes and builds the two views only when they differ
    (most calls read); another environment compares its views, the earlier one read from a restored copy."""
    if isinstance(env, ObjectEnvironment) and isinstance(before, dict) and owner in before:
        if state_unchanged(env, owner, before):
            return None
        views = env.class_changes(owner, before[owner])
    else:
        twin = env.copy()
        twin.restore(before)
        then, now = twin.state(), env.state()
        views = then.get(owner, then), now.get(owner, now)
    return None if views[0] == views[1] else views


def try_call(env: Environment, call: ToolCall, check: Callable[[Environment], bool] | None = None
             ) -> tuple[CallResult, bool]:
    """Run ``call`` to see what it would do, then put the state back as it was: its result, and ``check`` of the
    state it left (``True`` without a check). Restoring undoes only what the call changed: cheaper than a copy."""
    before = env.snapshot()
    try:
        result = env.execute(call)
        return result, check(env) if check is not None else True
    finally:
        env.restore(before)
