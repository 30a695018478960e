"""Phase III: the guided iterative chain: act step by step, validate strictly by execution, critique, retry up to
``k_max``."""

from fr_core.refine.loop import Limits, RefineTrace, first_prompt, refine, run_attempt
from fr_core.refine.render import render_funreason
from fr_core.refine.validate import RULES, Truth, Verdict, ground_truth, validate

__all__ = ["Limits", "RefineTrace", "first_prompt", "refine", "run_attempt", "render_funreason", "RULES", "Truth",
           "Verdict", "ground_truth", "validate"]
