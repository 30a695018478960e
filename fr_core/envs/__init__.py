"""Executable environments behind one protocol: BFCL v3 multi-turn classes and the user's own tools."""

from fr_core.envs.base import Environment, ObjectEnvironment
from fr_core.envs.bfcl import BFCL_CLASSES, bfcl_tool_specs, make_bfcl_env

__all__ = ["Environment", "ObjectEnvironment", "BFCL_CLASSES", "bfcl_tool_specs", "make_bfcl_env"]
