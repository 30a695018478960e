"""One error hierarchy for the whole workbench: every message says what, where, and what to do."""

from __future__ import annotations

__all__ = [
    "FrError",
    "ConfigError",
    "ToolSpecError",
    "EnvError",
    "ExecutionError",
    "GraphError",
    "SamplingError",
    "LLMError",
    "LLMCallError",
    "LLMTransportError",
    "ParseError",
    "StoreError",
    "SampleTimeout",
    "ReviewError",
]


class FrError(Exception):
    """Base class of every error the workbench raises on purpose."""


class ConfigError(FrError):
    """A configuration value or file is invalid."""


class ToolSpecError(FrError):
    """A tool specification (JSON file, Python class) is malformed."""


class EnvError(FrError):
    """An environment could not be built or its state could not be loaded."""


class ExecutionError(FrError):
    """A tool call could not be executed (used internally; environments return error results)."""


class GraphError(FrError):
    """The API relation graph is inconsistent or an overlay is malformed."""


class SamplingError(FrError):
    """Phase I sampling could not proceed."""


class LLMError(FrError):
    """An LLM backend failed after retries, or is misconfigured."""


class LLMCallError(LLMError):
    """A managed LLM call failed for good; ``event`` (an ``fr_core.llm.LLMCallEvent``) records it for the trace."""

    def __init__(self, message: str, event: object = None) -> None:
        super().__init__(message)
        self.event = event


class LLMTransportError(LLMCallError):
    """The model server gave no usable answer after every retry: no connection, a timeout, HTTP 429 / 5xx, or a
    200 body that is not JSON. Not the model's fault, so never count it as a failed reasoning attempt: re-raise
    it; the runner stores the sample as failed with a transport reason and counts it apart."""


class ParseError(FrError):
    """Model output could not be parsed; ``raw`` keeps the text so it can be shown to the critic."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class StoreError(FrError):
    """The SQLite store is missing, locked or has an unknown schema."""


class SampleTimeout(FrError):
    """A sample ran past ``generate.sample_timeout_s``: it is stored as failed and the run goes on."""


class ReviewError(FrError):
    """A review action that would make bad data: an edit that does not parse, a failing edit accepted without
    "accept anyway" and a reason, a round that does not exist."""
