"""Typed-in texts (data/phrases/typed.toml): every pool's texts are filled and varied, and a broken file stops with
its place."""

from __future__ import annotations

import random
import re

import pytest

from fr_core.envs import phrases
from fr_core.errors import ConfigError


def test_every_pool_gives_filled_texts_without_double_quotes() -> None:
    templates, _ = phrases._typed()
    rng = random.Random(0)
    for kind in templates:
        texts = {phrases.phrase(kind, rng) for _ in range(60)}
        assert all(t.strip() and not re.search(r'["{}|]', t) for t in texts), kind
        assert len(texts) >= min(10, len(templates[kind])), kind


def test_a_slot_takes_an_item_of_its_fill_list(tmp_path, monkeypatch) -> None:
    typed = tmp_path / "typed.toml"
    typed.write_text('[fill]\nthing = ["(red|blue) kite", "map"]\n[templates]\nnote = ["Bring the {thing}."]\n')
    monkeypatch.setattr(phrases, "TYPED", typed)
    phrases._typed.cache_clear()
    try:
        said = {phrases.phrase("note", random.Random(seed)) for seed in range(40)}
        assert said == {"Bring the red kite.", "Bring the blue kite.", "Bring the map."}
    finally:
        phrases._typed.cache_clear()


@pytest.mark.parametrize("line, why", [('"Bring the {thing}."', "no [fill] list"),
                                       ("'Say \"hi\".'", "a double quote")])
def test_a_broken_typed_text_is_refused_with_its_place(tmp_path, monkeypatch, line, why) -> None:
    typed = tmp_path / "typed.toml"
    typed.write_text(f"[templates]\nnote = [{line}]\n")
    monkeypatch.setattr(phrases, "TYPED", typed)
    phrases._typed.cache_clear()
    try:
        with pytest.raises(ConfigError, match=re.escape(why)) as err:
            phrases.phrase("note", random.Random(0))
        assert "[templates].note" in str(err.value) and str(typed) in str(err.value)
    finally:
        phrases._typed.cache_clear()
