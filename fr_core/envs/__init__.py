"""Executable environments behind one protocol: BFCL v3 multi-turn classes and the user's own tools."""

from fr_core.envs.base import Environment, ObjectEnvironment
from fr_core.envs.bfcl import BFCL_CLASSES, bfcl_tool_specs, make_bfcl_env
from fr_core.envs.factory import make_env
from fr_core.envs.user import (
    JsonToolEnvironment,
    load_json_specs,
    load_python_env,
    make_json_env,
    make_python_env,
    specs_from_class,
)

__all__ = [
    "Environment",
    "ObjectEnvironment",
    "BFCL_CLASSES",
    "bfcl_tool_specs",
    "make_bfcl_env",
    "make_env",
    "JsonToolEnvironment",
    "load_json_specs",
    "load_python_env",
    "make_json_env",
    "make_python_env",
    "specs_from_class",
]
