"""Multi-turn orchestration: Phases I→III per round (``run_round``), state carried across rounds, one Trajectory per
sample."""

from fr_core.pipeline.generate import (Conversation, RoundOutcome, RoundSettings, RoundTrace, SampleTrace, code_version,
                                       generate_sample, run_round, sample_id_for)

__all__ = ["Conversation", "RoundOutcome", "RoundSettings", "RoundTrace", "SampleTrace", "code_version",
           "generate_sample", "run_round", "sample_id_for"]
