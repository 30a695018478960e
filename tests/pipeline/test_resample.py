"""A sampled turn holding a value no user could give (an id a call of the same turn minted) is sampled again, from
the state the round started in, before the round is given up."""

from __future__ import annotations

from pathlib import Path

from fr_core.graph import spec_graph
from fr_core.pipeline import generate_sample

WEATHER = str(Path(__file__).resolve().parents[2] / "data" / "tools" / "weather_tools.json")


def test_an_ungrounded_turn_is_sampled_again_and_the_round_goes_on_when_one_is_grounded() -> None:
    graph = spec_graph(WEATHER).output
    rescued = []
    for seed in range(40):
        result = generate_sample(WEATHER, graph, rounds=1, seed=seed)
        round_trace = result.trace["rounds"][0]
        kinds = [row["kind"] for row in round_trace.get("grounding", [])]
        if round_trace.get("resampled") and "ungrounded" not in kinds:
            rescued.append(seed)
            again = generate_sample(WEATHER, graph, rounds=1, seed=seed)
            assert again.output.turns[0].hard_query.text == result.output.turns[0].hard_query.text  # seeded
    assert rescued, "no round was saved by sampling its turn again"
