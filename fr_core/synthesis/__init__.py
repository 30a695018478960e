"""Phase II: abstract a sampled turn into an advanced tool (A_T) and write its hard and easy queries (A_Q).

``turn_flow`` (the data flow of a sampled turn) lives with Phase I in :mod:`fr_core.sampling.flow`."""

from fr_core.sampling.flow import FlowStep, turn_flow
from fr_core.sampling.grounding import ground_turn, state_scalars, ungrounded
from fr_core.synthesis.synthesize import abstract_tool, check_leak, write_easy_query, write_query

__all__ = ["FlowStep", "turn_flow", "ground_turn", "state_scalars", "ungrounded", "abstract_tool", "check_leak",
           "write_easy_query", "write_query"]
