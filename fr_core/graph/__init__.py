"""The API relation graph G=(T,R,P): build it from evidence, edit it, ask legality and distances."""

from fr_core.graph.assemble import GraphTrace, build_graph
from fr_core.graph.build import bfcl_graph, spec_graph
from fr_core.graph.flow import name_flow_edges
from fr_core.graph.probe import probe_edges
from fr_core.graph.model import (
    GraphIndex,
    add_edge,
    blocked_reason,
    class_density,
    distances_to,
    graph_index,
    is_legal,
    legal_tools,
    missing_prerequisites,
    new_graph,
    prerequisite_groups,
)
from fr_core.graph.overlay import (
    apply_overlay,
    edit_overlay,
    load_overlay,
    merge_overlays,
    save_overlay,
    user_overlay_path,
)

__all__ = [
    "GraphTrace",
    "bfcl_graph",
    "build_graph",
    "name_flow_edges",
    "probe_edges",
    "spec_graph",
    "add_edge",
    "blocked_reason",
    "class_density",
    "distances_to",
    "GraphIndex",
    "graph_index",
    "is_legal",
    "legal_tools",
    "missing_prerequisites",
    "new_graph",
    "prerequisite_groups",
    "apply_overlay",
    "edit_overlay",
    "load_overlay",
    "merge_overlays",
    "user_overlay_path",
    "save_overlay",
]
