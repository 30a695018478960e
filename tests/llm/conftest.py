"""Fixtures for the LLM tests: fake OpenAI / Anthropic servers on 127.0.0.1 and fast retry policies."""

from __future__ import annotations

import itertools

import pytest

from fr_core.llm import ModelProfile, RetryPolicy
from fr_core.llm.fakeserver import FakeAnthropicServer, FakeOpenAIServer

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.005)
_names = itertools.count()


@pytest.fixture()
def fast_retry() -> RetryPolicy:
    return FAST_RETRY


@pytest.fixture()
def openai_server():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture()
def anthropic_server():
    with FakeAnthropicServer() as server:
        yield server


@pytest.fixture()
def make_profile():
    """A fresh profile name each time, so process-wide limits are not shared between tests."""

    def make(provider: str, base_url: str | None = None, **fields) -> ModelProfile:
        fields.setdefault("model", "fake-model")
        return ModelProfile(name=f"test-{provider}-{next(_names)}", provider=provider, base_url=base_url, **fields)

    return make
