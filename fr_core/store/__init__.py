"""SQLite persistence of batch runs: runs, samples, step traces and human edits (the LLM cache may share the file)."""

from fr_core.store.schema import SCHEMA_VERSION, migrate, schema_version
from fr_core.store.steps import STAGES, StepRow, llm_calls, trajectory_cost, trajectory_steps
from fr_core.store.store import (
    DEFAULT_DB,
    EditRow,
    RunRow,
    RunStats,
    SampleRow,
    Store,
    code_version,
    sample_id,
    sanitize_config,
)

__all__ = [
    "DEFAULT_DB",
    "SCHEMA_VERSION",
    "STAGES",
    "EditRow",
    "RunRow",
    "RunStats",
    "SampleRow",
    "StepRow",
    "Store",
    "code_version",
    "llm_calls",
    "migrate",
    "sample_id",
    "sanitize_config",
    "schema_version",
    "trajectory_cost",
    "trajectory_steps",
]
