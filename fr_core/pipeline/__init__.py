"""Multi-turn orchestration: Phases I→III per round, state carried across rounds, one Trajectory per sample."""

from fr_core.pipeline.generate import code_version, generate_sample, sample_id_for

__all__ = ["code_version", "generate_sample", "sample_id_for"]
