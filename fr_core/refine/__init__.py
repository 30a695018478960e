"""Phase III: the guided iterative chain: reason, validate by execution, critique, retry up to ``k_max``."""

from fr_core.refine.loop import first_prompt, refine
from fr_core.refine.render import render_funreason
from fr_core.refine.validate import Verdict, validate

__all__ = ["first_prompt", "refine", "render_funreason", "Verdict", "validate"]
