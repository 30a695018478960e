"""Phase I: the directed sampler (Eq. 2) that walks the API graph and collects real multi-turn execution traces."""

from fr_core.sampling.choose import Choice, choose_next_tool, choose_random_tool
from fr_core.sampling.config import AFTER_TARGET, POLICIES, STRATEGIES, SamplerConfig
from fr_core.sampling.params import OutputLeaf, call_failed, corrupt_arguments, output_leaves, sample_arguments
from fr_core.sampling.sampler import (
    EpisodeCache,
    EpisodeTrace,
    StepTrace,
    TurnTrace,
    round_target,
    sample_episode,
    sample_episodes,
    sample_turn,
    state_diff,
    turn_leaves,
)
from fr_core.sampling.stats import EpisodeStats, summarize
from fr_core.sampling.targets import Coverage, pick_target

__all__ = [
    "EpisodeCache",
    "Choice",
    "choose_next_tool",
    "choose_random_tool",
    "POLICIES",
    "STRATEGIES",
    "AFTER_TARGET",
    "SamplerConfig",
    "OutputLeaf",
    "call_failed",
    "corrupt_arguments",
    "output_leaves",
    "sample_arguments",
    "EpisodeTrace",
    "StepTrace",
    "TurnTrace",
    "round_target",
    "sample_episode",
    "sample_episodes",
    "sample_turn",
    "state_diff",
    "turn_leaves",
    "EpisodeStats",
    "summarize",
    "Coverage",
    "pick_target",
]
