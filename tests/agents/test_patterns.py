"""Phrasing patterns kept between processes: a pattern built from the kept code is the pattern ``re.compile``
makes, a damaged or foreign file is a miss, and the reasoner reads the same requests either way."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import zlib

import pytest

from fr_core.agents import patterns
from fr_core.agents.reasoning import _LOOSE_SLOT, _pattern
from fr_core.graph import cache

_SOURCES = [
    _pattern("(make|create) a (copy|version) of {source} (in|into) {destination}",
             lambda name: rf"(?P<{name}>{_LOOSE_SLOT})"),
    r"\b(?:the|an|a)\s+(?P<what>[a-z ]+?)\s+from\s+before(?!\w)",
]
_TEXTS = ["Please make a copy of §0§ into §1§.", "MAKE A VERSION OF report.txt IN archive", "the file from before",
          "nothing to see", "create a copy of the draft as before into §0§"]


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    """An empty cache folder and nothing remembered in this process."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "graphs"))
    monkeypatch.setattr(patterns, "_known", None)
    monkeypatch.setattr(patterns, "_file", None)
    monkeypatch.setattr(patterns, "_used", set())
    monkeypatch.setattr(patterns, "_new", False)
    return tmp_path / "graphs"


def _forget(monkeypatch) -> None:
    monkeypatch.setattr(patterns, "_known", None)
    monkeypatch.setattr(patterns, "_file", None)
    monkeypatch.setattr(patterns, "_used", set())


def _same(a: re.Pattern[str], b: re.Pattern[str]) -> None:
    assert (a.pattern, a.flags, a.groups, a.groupindex) == (b.pattern, b.flags, b.groups, b.groupindex)
    for text in _TEXTS:
        ma, mb = a.search(text), b.search(text)
        assert (ma and (ma.span(), ma.groupdict())) == (mb and (mb.span(), mb.groupdict()))


def test_a_pattern_from_kept_code_is_the_pattern_re_compiles(fresh, monkeypatch):
    assert patterns.patterns_file() is not None
    first = [patterns.compile_pattern(s, re.I) for s in _SOURCES]
    patterns.save_patterns()
    assert patterns.patterns_file().is_file()
    _forget(monkeypatch)
    kept = [patterns.compile_pattern(s, re.I) for s in _SOURCES]
    assert patterns._known and all((s, int(re.I)) in patterns._known for s in _SOURCES)
    for a, b, c in zip(first, kept, (re.compile(s, re.I) for s in _SOURCES)):
        _same(a, c)
        _same(b, c)
    assert kept[0].search(_TEXTS[1]).group("source") == "report.txt"


@pytest.mark.parametrize("damage", [b"", b"not a pattern file", None])
def test_a_damaged_file_is_a_miss_and_is_written_again(fresh, monkeypatch, damage):
    patterns.compile_pattern(_SOURCES[0], re.I)
    patterns.save_patterns()
    path = patterns.patterns_file()
    blob = path.read_bytes()
    path.write_bytes(blob[:-7] if damage is None else damage)
    _forget(monkeypatch)
    _same(patterns.compile_pattern(_SOURCES[0], re.I), re.compile(_SOURCES[0], re.I))
    assert patterns._new  # compiled afresh, so written again on exit
    patterns.save_patterns()
    assert path.read_bytes() == blob
    assert not list(fresh.glob(".tmp*"))


def test_code_the_engine_refuses_falls_back_to_compiling(fresh, monkeypatch):
    bad = zlib.compress((255).to_bytes(4, sys.byteorder) * 3)  # no such opcode
    patterns._known = {(_SOURCES[0], int(re.I)): (int(re.I | re.U), bad, 2, {}, (None,))}
    _same(patterns.compile_pattern(_SOURCES[0], re.I), re.compile(_SOURCES[0], re.I))


def test_a_new_process_writes_its_patterns_on_exit_and_the_next_one_reads_them(fresh):
    script = ("import re, sys; from fr_core.agents import patterns as p; "
              "x = p.compile_pattern(sys.argv[1], re.I); print(int(p._new), x.search(sys.argv[2]).group('source'))")
    run = [sys.executable, "-c", script, _SOURCES[0], _TEXTS[0]]
    env = {**__import__("os").environ, cache.CACHE_ENV: str(fresh)}
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.split()
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert first == ["1", "§0§"]  # compiled, and kept at exit
    assert second == ["0", "§0§"]  # read from the file: nothing new to write


def test_prompt_templates_are_compiled_once_and_a_damaged_entry_is_a_miss(fresh):
    """Jinja's compiled templates are kept in the cache folder: a new environment renders the same text from
    them, and an entry whose hash does not match is compiled again and rewritten."""
    import jinja2

    from fr_core.agents.base import _PROMPTS
    from fr_core.jinja_cache import TemplateCache

    def render() -> str:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(_PROMPTS), undefined=jinja2.StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, bytecode_cache=TemplateCache())
        return env.get_template("feedback.j2").render(prefix="Feedback:", critique="call cd first")

    first = render()
    (entry,) = (fresh / "templates").glob("*.bin")
    blob, written = entry.read_bytes(), entry.stat().st_mtime_ns
    time.sleep(0.01)
    assert render() == first and entry.stat().st_mtime_ns == written  # read back, not compiled and written again
    entry.write_bytes(blob[:-9])
    assert render() == first
    assert entry.read_bytes() == blob
    assert "call cd first" in first
