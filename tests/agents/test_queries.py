"""What users see of the offline querying agent: hard requests state goals, not steps; ``ε`` adds real variety."""

from __future__ import annotations

import re

import random
import statistics

import pytest

from fr_core.agents import make_agents
from fr_core.agents.lexicon import render_value
from fr_core.agents.phrasebook import phrasings
from fr_core.analysis import distinct_n, longest_flow_chain, self_bleu
from fr_core.analysis.views import view_turns
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.envs.bfcl.states import generate_initial_config
from fr_core.graph import bfcl_graph
from fr_core.pipeline import generate_sample
from fr_core.sampling import pick_target, sample_episode
from fr_core.synthesis import check_leak, write_query

CLASSES = list(BFCL_CLASSES)
N = 48


@pytest.fixture(scope="module")
def graphs():
    return {c: bfcl_graph([c]).output for c in CLASSES}


@pytest.fixture(scope="module")
def samples(graphs):
    agents = make_agents("offline")
    return [generate_sample([CLASSES[i % len(CLASSES)]], graphs[CLASSES[i % len(CLASSES)]], rounds=2, calls=4,
                            agents=agents, seed=i).output for i in range(N)]


@pytest.fixture(scope="module")
def turns(samples):
    """Every abstracted round: (advanced tool, its class's tools, the easy query)."""
    tools = {c: tuple(make_env([c]).tools()) for c in CLASSES}
    return [(r.adv_tool, tools[t.classes[0]], r.easy_query.text) for t in samples for r in t.turns
            if r.adv_tool is not None]


def _write(turns, noise):
    querying = make_agents("offline").querying
    return [write_query(adv, querying, noise, k, tools=tools) for k, (adv, tools, _) in enumerate(turns)]


def test_hard_queries_are_clearly_shorter_than_easy_ones(samples) -> None:
    hard = [len(r.hard_query.text.split()) for t in samples for r in t.turns if r.hard_query]
    easy = [len(r.easy_query.text.split()) for t in samples for r in t.turns if r.easy_query]
    ratio = statistics.mean(hard) / statistics.mean(easy)
    print(f"\nhard/easy length ratio {ratio:.3f} over {len(hard)} rounds")
    assert ratio <= 0.8


def _stems(spec, words: int = 2) -> set[str]:
    """The words of a tool's phrasings before their first value slot (how its goal is worded), at least ``words``."""
    return {stem for p in phrasings(spec) for w in p.wordings
            if len((stem := w.split("{")[0].strip().lower()).split()) >= words}


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_hard_queries_never_describe_hidden_steps_nor_leak(turns, noise) -> None:
    written = _write(turns, noise)
    checked = 0
    for (adv, tools, _), result in zip(turns, written):
        assert check_leak(result.output, tools, adv).ok, result.output.text
        specs = {t.name: t for t in tools}
        goals = {s for c, r in zip(adv.inner_calls, adv.roles) if r != "implicit"
                 for s in _stems(specs[c.name], 1)}
        for call, role in zip(adv.inner_calls, adv.roles):
            if role == "implicit":
                for stem in _stems(specs[call.name], 3) - goals:
                    assert stem not in result.output.text.lower(), (call.name, result.output.text)
                    checked += 1
    assert checked >= 5


def test_credentials_go_with_the_goal_they_serve(turns) -> None:
    """A login's credentials are said in the clause of the goal they unlock, in the phrasebook's context words."""
    written = _write(turns, 0.0)
    checked = 0
    for (adv, tools, _), result in zip(turns, written):
        specs = {t.name: t for t in tools}
        clauses = result.trace["clauses"]
        for i, role in enumerate(adv.roles):
            j = adv.serves[i]
            if role != "context" or j < 0 or adv.roles[j] != "goal" or not phrasings(
                    specs[adv.inner_calls[i].name], context=True):
                continue
            stems = _stems(specs[adv.inner_calls[j].name])
            for param, k, _ in adv.bindings:
                if k == i:
                    value = render_value(adv.user_values[param])  # as the request says it: "x", 3, false
                    holder = [c for c in clauses if value in c]
                    assert holder and any(stem in c.lower() for c in holder for stem in stems), (value, clauses)
                    checked += 1
    assert checked >= 5


def test_noise_makes_hard_queries_more_diverse(turns) -> None:
    texts = {noise: [r.output.text for r in _write(turns, noise)] for noise in (0.0, 1.0)}
    d2 = {n: distinct_n(t, 2) for n, t in texts.items()}
    sb = {n: self_bleu(t, 100, 0) for n, t in texts.items()}
    print(f"\ndistinct-2 {d2[0.0]:.3f} → {d2[1.0]:.3f}; self-BLEU {sb[0.0]:.3f} → {sb[1.0]:.3f}")
    assert d2[1.0] >= 1.08 * d2[0.0]
    assert sb[1.0] <= sb[0.0] - 0.05


def test_offline_acceptance_stays_above_thirty_percent(samples) -> None:
    accepted = sum(t.status == "accepted" for t in samples)
    assert accepted / len(samples) >= 0.30


def test_deep_targets_are_not_legal_yet_and_fall_back_to_uniform() -> None:
    rng = random.Random(0)
    picks = [pick_target("deep", {"a": 0, "b": 1, "c": 3}, rng)[0] for _ in range(400)]
    assert "a" not in picks and picks.count("c") > picks.count("b")
    target, why = pick_target("deep", {"a": 0, "b": 0}, rng)
    assert target in "ab" and "uniform" in why


def test_deep_targets_give_longer_flow_chains_than_uniform(graphs) -> None:
    chains = {}
    for strategy in ("uniform", "deep"):
        lengths = []
        for i in range(280):
            c = CLASSES[i % len(CLASSES)]
            env = make_env([c], initial_config=generate_initial_config((c,), i, "medium"))
            turns = sample_episode(env, graphs[c], rounds=2, calls=4, seed=i, strategy=strategy).output
            lengths.append(longest_flow_chain(view_turns(turns, [c])))
        chains[strategy] = statistics.mean(lengths)
    print(f"\nmean longest flow chain: uniform {chains['uniform']:.3f}, deep {chains['deep']:.3f}")
    assert chains["deep"] > chains["uniform"]


def _adv(calls, roles, values=None, bindings=(), serves=None):
    from fr_core.types import AdvancedTool, ToolCall, ToolSpec

    spec = ToolSpec("task_flow", "Does it.", {"type": "object", "properties": {}}, owner="advanced")
    return AdvancedTool(spec, tuple(ToolCall(n, a) for n, a in calls), values or {}, (), "test", tuple(roles),
                        tuple(bindings), tuple(serves or [-1] * len(calls)))


def test_two_similar_tools_are_asked_for_in_their_own_words() -> None:
    tools = tuple(make_env(["TwitterAPI", "MessageAPI"]).tools())
    querying = make_agents("offline").querying
    adv = _adv([("posting_get_login_status", {}), ("message_get_login_status", {})], ["goal", "goal"])
    for seed in range(20):
        clauses = querying.write(adv, tools, noise=1.0, seed=seed).trace["clauses"]
        for clause, name in zip(clauses, ("posting_get_login_status", "message_get_login_status")):
            wordings = {w for p in phrasings(next(t for t in tools if t.name == name)) for w in p.wordings}
            # the goal in one of its tool's wordings, perhaps followed by why ("..., since I've been away")
            assert any(clause == w or re.match(re.escape(w) + r"(?: —|,| \(| as| since)", clause) for w in wordings), \
                clause


def test_credentials_ride_with_the_goal_they_unlock_not_with_the_step_before() -> None:
    tools = tuple(make_env(["TwitterAPI"]).tools())
    querying = make_agents("offline").querying
    adv = _adv([("authenticate_twitter", {"username": "mirela_mac", "password": "pw1"}),
                ("list_all_following", {}), ("retweet", {"tweet_id": 681})],
               ["context", "goal", "goal"], {"username": "mirela_mac", "password": "pw1", "tweet_id": 681},
               [("username", 0, "username"), ("password", 0, "password"), ("tweet_id", 2, "tweet_id")],
               [2, -1, -1])
    result = querying.write(adv, tools, noise=0.0, seed=0)
    first, second = result.trace["clauses"]
    assert "mirela_mac" not in first and "mirela_mac" in second and "681" in second
    assert 'I\'m "mirela_mac" on the feed, password "pw1"' in second  # the phrasebook's context words


def test_a_value_said_before_is_said_again_where_a_pointer_back_would_stutter() -> None:
    import random

    from fr_core.agents.querying import _phrase

    spec = next(t for t in make_env(["TravelAPI"]).tools() if t.name == "authenticate_travel")
    plain = {"user_first_name": "Keanu", "user_last_name": "Halvorsen", "client_id": "c_1", "client_secret": "s_2",
             "refresh_token": "rt_3", "grant_type": "write"}
    pointed = {**plain, "user_first_name": "the same user first name as before",
               "user_last_name": "the same user last name as before", "client_id": "the same client id as before"}
    text, _ = _phrase(spec, pointed, random.Random(0), 0.0, plain=plain)
    # "as the same user first name as before the same user last name as before" becomes "as Keanu Halvorsen";
    # "client the same client id as before" repeats "client": the value is said again
    assert "as Keanu Halvorsen, client c_1," in text and "the same" not in text, text
    # where a pointer back reads well, it stays
    spec = next(t for t in make_env(["TwitterAPI"]).tools() if t.name == "follow_user")
    text, _ = _phrase(spec, {"username_to_follow": "the same account as before"}, random.Random(0), 0.0,
                      plain={"username_to_follow": "dana_k"})
    assert text == "start following the same account as before", text


def test_a_tool_name_swapped_for_a_synonym_leaves_no_doubled_word() -> None:
    from fr_core.agents.querying import avoid_tool_names

    for seed in range(5):
        text = avoid_tool_names('What do [1, 2] add up to? Then post "up up and away".', {"add"}, random.Random(seed))
        assert " add " not in text and "up up to" not in text and '"up up and away"' in text, text


def test_a_question_after_the_credentials_ends_with_a_question_mark() -> None:
    from fr_core.agents.querying import _sentences

    text = _sentences(["I'm USR002 on the chat. Which texts have I sent lately", "delete notes.txt"], 0.5,
                      random.Random(3))
    assert text.startswith("I'm USR002 on the chat. Which texts have I sent lately?"), text


def test_no_pointer_back_before_a_possessive() -> None:
    """"give me {username}'s numbers" with a pointer would read "the account from before's numbers"."""
    from fr_core.agents.querying import _no_pointer_room

    assert _no_pointer_room("give me {username}'s numbers") == {"username"}
    assert _no_pointer_room("give me the numbers for {username}") == set()


def test_a_pointer_back_never_repeats_the_thing_just_named() -> None:
    """"Retire the folder called that same folder I mentioned": the folder is named in the words just before the
    slot, so a pointer there stutters; another slot's name does not count ("compare {file_name1} and ...")."""
    from fr_core.agents.querying import _points_well

    fs = "GorillaFileSystem"
    assert not _points_well("retire the folder called {dir_name} for good", "dir_name", fs)
    assert not _points_well("(price|limit) {price}", "price", "TradingBot")
    assert _points_well("get rid of {dir_name} for good", "dir_name", fs)
    assert _points_well("compare {file_name1} and {file_name2}", "file_name2", fs)
