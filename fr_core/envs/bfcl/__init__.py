"""The BFCL v3 multi-turn classes as environments: the one adapter that knows BFCL's tools.

Everything particular to BFCL lives here: which classes exist and how to load them (:mod:`.classes`), where each
class's state holds argument values (:mod:`.values`), fresh values, pairs and distinct arguments (:mod:`.fresh`),
the answers to the environment hooks built from them (:mod:`.knowledge`), and our seeded initial states
(:mod:`.states`).
"""

from fr_core.envs.bfcl.classes import BFCL_CLASSES, BFCLClass, bfcl_knowledge, bfcl_tool_specs, fs_state, make_bfcl_env
from fr_core.envs.bfcl.states import SIZES, STATE_CLASSES, generate_initial_config, generate_state

__all__ = ["BFCL_CLASSES", "BFCLClass", "bfcl_knowledge", "bfcl_tool_specs", "fs_state", "make_bfcl_env", "SIZES",
           "STATE_CLASSES", "generate_initial_config", "generate_state"]
