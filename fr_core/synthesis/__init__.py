"""Phase II: abstract a sampled turn into an advanced tool (A_T) and write its hard and easy queries (A_Q)."""

from fr_core.synthesis.flow import FlowStep, turn_flow
from fr_core.synthesis.grounding import ground_turn, ungrounded
from fr_core.synthesis.synthesize import abstract_tool, check_leak, write_easy_query, write_query

__all__ = ["FlowStep", "turn_flow", "ground_turn", "ungrounded", "abstract_tool", "check_leak", "write_easy_query", "write_query"]
