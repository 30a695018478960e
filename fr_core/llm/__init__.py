"""The LLM layer: requests and responses, provider backends, cache, retries, limits, and safe tool-call parsing.

Backends (``openai_backend``, ``anthropic_backend``) import their SDK only when built; ``fakeserver`` holds local
fake OpenAI / Anthropic servers for tests and demos.
"""

from fr_core.llm.base import (
    LLMCallError,
    LLMCallEvent,
    LLMClient,
    LLMRequest,
    LLMResponse,
    LLMTransportError,
    RetryableError,
    Usage,
)
from fr_core.llm.cache import CACHE_MODES, LLMCache, cache_key
from fr_core.llm.client import Accounting, ManagedClient, RetryPolicy, UsageTotals, build_client
from fr_core.llm.config import PROVIDERS, ModelProfile, get_profile, load_profiles, resolve_api_key
from fr_core.llm.parsing import (
    ParsedOutput,
    parse_json_calls,
    parse_python_calls,
    parse_tool_calls,
)
from fr_core.llm.scripted import ScriptedClient

__all__ = [
    "Accounting",
    "CACHE_MODES",
    "LLMCache",
    "LLMCallError",
    "LLMCallEvent",
    "LLMClient",
    "LLMRequest",
    "LLMResponse",
    "LLMTransportError",
    "ManagedClient",
    "ModelProfile",
    "PROVIDERS",
    "ParsedOutput",
    "RetryPolicy",
    "RetryableError",
    "ScriptedClient",
    "Usage",
    "UsageTotals",
    "build_client",
    "cache_key",
    "get_profile",
    "load_profiles",
    "parse_json_calls",
    "parse_python_calls",
    "parse_tool_calls",
    "resolve_api_key",
]
