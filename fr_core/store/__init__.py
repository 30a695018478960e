"""SQLite persistence of batch runs: runs, samples, step traces and human edits (the LLM cache may share the file)."""

from fr_core.store.schema import SCHEMA_VERSION, migrate, schema_version
from fr_core.store.steps import STAGES, StepRow, find_llm_events, llm_calls, trajectory_cost, trajectory_steps
from fr_core.store.store import (
    DEFAULT_DB,
    MAX_SAMPLES,
    EditRow,
    ReviewRow,
    RunRow,
    RunStats,
    SampleRow,
    Store,
    lease_owner,
    sample_id,
    sanitize_config,
)

__all__ = [
    "DEFAULT_DB",
    "MAX_SAMPLES",
    "SCHEMA_VERSION",
    "STAGES",
    "EditRow",
    "ReviewRow",
    "RunRow",
    "RunStats",
    "SampleRow",
    "StepRow",
    "Store",
    "find_llm_events",
    "lease_owner",
    "llm_calls",
    "migrate",
    "sample_id",
    "sanitize_config",
    "schema_version",
    "trajectory_cost",
    "trajectory_steps",
]
