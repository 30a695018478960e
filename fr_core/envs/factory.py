"""One entry point that builds any environment from a short spec string: BFCL classes, a Python class or a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fr_core.envs.base import Environment
from fr_core.envs.bfcl import BFCL_CLASSES, make_bfcl_env
from fr_core.envs.user import load_python_env, make_json_env
from fr_core.errors import ConfigError

__all__ = ["make_env"]

_FORMS = ("BFCL class names joined by '+' (e.g. 'GorillaFileSystem+TwitterAPI'), 'path/to/file.py:Class' or "
          "'path/to/tools.json'")


def make_env(
    spec: str | list[str] | tuple[str, ...],
    *,
    seed: int = 0,
    initial_config: dict[str, Any] | None = None,
    size: str = "medium",
) -> Environment:
    """Build an environment from ``spec``.

    - BFCL classes (``"MathAPI"``, ``"GorillaFileSystem+TwitterAPI"`` or a list of names): loaded from
      ``initial_config`` or, when it is ``None``, from our seeded state generator (``seed``, ``size``).
    - ``"path/to/file.py:Class"``: the user's class; ``initial_config`` goes to its ``load_state`` (when it is
      ``None`` and the class has ``generate_state(seed)``, that state).
    - ``"path/to/tools.json"``: JSON tool specs with the mock backend seeded by ``seed``;
      ``initial_config`` may be ``{"replay": path | dict | list}`` of recorded responses.
    """
    if isinstance(spec, (list, tuple)):
        names = list(spec)
    elif isinstance(spec, str):
        text = spec.strip()
        if text.lower().endswith(".json"):
            return _json_env(text, seed, initial_config)
        if ".py:" in text:
            return load_python_env(text, initial_state=initial_config, seed=seed)
        names = [n.strip() for n in text.split("+")]
    else:
        raise ConfigError(f"environment spec must be a string or a list of class names, got {type(spec).__name__}")
    unknown = [n for n in names if n not in BFCL_CLASSES]
    if unknown or not names:
        raise ConfigError(
            f"environment spec {spec!r}: {', '.join(map(repr, unknown)) or 'nothing'} is not a BFCL class; "
            f"give {_FORMS}. BFCL classes: {', '.join(BFCL_CLASSES)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"environment spec {spec!r} names a class twice")
    if initial_config is None:
        from fr_core.envs.bfcl.states import generate_initial_config  # our seeded states; imported when needed

        initial_config = generate_initial_config(names, seed, size)
    return make_bfcl_env(names, initial_config)


def _json_env(path: str, seed: int, initial_config: dict[str, Any] | None) -> Environment:
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such tool spec file")
    config = dict(initial_config or {})
    replay = config.pop("replay", None)
    if config:
        raise ConfigError(
            f"{path}: a JSON tool environment takes only 'replay' as initial_config, got {sorted(config)}"
        )
    return make_json_env(path, replay=replay, seed=seed)
