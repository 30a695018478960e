"""The LLM layer: requests and responses, provider backends, cache, retries, limits, and safe tool-call parsing."""

from fr_core.llm.parsing import (
    ParsedOutput,
    parse_json_calls,
    parse_python_calls,
    parse_tool_calls,
)

__all__ = [
    "ParsedOutput",
    "parse_json_calls",
    "parse_python_calls",
    "parse_tool_calls",
]
