"""API graph page: G for the chosen classes, highlights, filters, manual edge edits, and the BFCL check figures."""

import streamlit as st

from fr_core.graph import distances_to, edit_overlay, load_overlay, save_overlay
from fr_core.graph.check import CATEGORIES
from fr_core.graph.model import EDGE_KINDS, class_density
from workbench.components.common import (
    TRACE_PATH,
    cached_check,
    class_picker,
    clear_graph_caches,
    graph_for,
    overlay_path,
    show_errors,
)
from workbench.components.graph_view import edge_rows, graph_html, legend_html, markdown_table, show_graph

NONE = "(none)"

st.title("API graph G = (T, R, P)")
classes = class_picker("graph.classes", container=st.sidebar)

with show_errors("API graph"):
    g = graph_for(classes)
    tools = sorted(g.nodes)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    search = c1.text_input("Search tools (name or description)", key="graph.search").strip().lower()
    only = c1.toggle("Show only matches and their neighbours", key="graph.only_matches")
    kinds = c2.multiselect("Edge kinds", list(EDGE_KINDS), default=list(EDGE_KINDS), key="graph.kinds")
    target = c3.selectbox("Target (distances to it)", [NONE, *tools], key="graph.target")
    physics = c4.toggle("Physics", value=True, key="graph.physics")
    target = None if target == NONE else target
    matches = [t for t in tools if search and (search in t.lower() or search in g.nodes[t]["description"].lower())]
    distances = distances_to(g, target) if target else None
    view = g.subgraph({n for m in matches for n in (m, *g.predecessors(m), *g.successors(m))}) \
        if only and matches else g
    trace = st.session_state.get(TRACE_PATH)
    path = trace["tools"] if trace and set(trace["classes"]) <= set(classes) else []

    left, right = st.columns([3, 1])
    with left:
        show_graph(graph_html(view, target=target, distances=distances, matches=matches, path=path, kinds=kinds,
                              physics=physics))
        st.markdown(legend_html(classes), unsafe_allow_html=True)
        if search:
            st.write(f"{len(matches)} tool(s) match: " + (", ".join(matches) or "none"))
        if path:
            st.info(f"Sampled trace (target {trace['target']}): " + " → ".join(path))
    with right:
        st.metric("Tools", g.number_of_nodes())
        st.metric("Edges", g.number_of_edges())
        kinds_table = [{"kind": k, "edges": sum(1 for *_, d in g.edges(data=True) if d.get("kind") == k)}
                       for k in EDGE_KINDS]
        n_hard = sum(1 for *_, d in g.edges(data=True) if d.get("hard"))
        kinds_table.append({"kind": "hard (any kind)", "edges": n_hard})
        # Small fixed tables as Markdown: a data frame would load pandas and pyarrow (~0.5 s of a first render).
        st.markdown(markdown_table(kinds_table))
        st.markdown(markdown_table([{"class": c, "density": round(v, 3)} for c, v in class_density(g).items()]))
        st.subheader("BFCL check")
        category = st.selectbox("Category", CATEGORIES, key="graph.check.category")
        limit = st.number_input("Entries (0 = all)", 0, 1000, 0, key="graph.check.limit")
        if st.button("Run check", key="graph.check.run", help="Replays BFCL ground truth; about a minute"):
            st.session_state["graph.check"] = cached_check(category, int(limit) or None)
        check = st.session_state.get("graph.check")
        if check:
            st.metric("Legality", f"{check['legality']:.1%}", help=f"{check['calls']} ground-truth calls")
            st.metric("Pair recall", f"{check['pair_recall']:.1%}", help=f"{check['pairs']} consecutive pairs")
            st.caption(f"{check['category']}, {check['entries']} entries, {check['unparsed']} unparsed")
            with st.expander("Density per class, misses"):
                st.write(check["density"])
                st.write(check["illegal_examples"])
                st.table([{"pair": p, "missed": n} for p, n in check["missed_pairs"]])

    tab_edges, tab_edit = st.tabs(["Edges", "Edit edges (overlay)"])
    with tab_edges:
        rows = edge_rows(view, kinds, matches)
        # Built when opened (it loads pandas and pyarrow): the drawing above shows the same edges and reasons.
        table = st.expander(f"Edge table ({len(rows)} edges: sort, search, reasons)", key="graph.edge_table",
                            on_change="rerun")
        if table.open:
            with table:
                st.dataframe(rows, width="stretch", hide_index=True)
    with tab_edit:
        path_file = overlay_path()
        st.caption(f"Your edits go to {path_file} (your data folder; the shipped data/graph/overlay.json stays as it "
                   "is) with who and when, and apply to every graph that has both tools. Removing an edge you added "
                   "drops your addition.")
        add_col, remove_col = st.columns(2)
        with add_col.form("graph.add"):
            st.write("**Add an edge** (source prepares target)")
            src = st.selectbox("Source", tools, key="graph.add.source")
            dst = st.selectbox("Target", tools, key="graph.add.target")
            hard = st.checkbox("Hard prerequisite", key="graph.add.hard")
            reason = st.text_input("Reason", key="graph.add.reason")
            add = st.form_submit_button("Add edge")
        edges = sorted(g.edges)
        with remove_col.form("graph.remove"):
            st.write("**Remove an edge**")
            edge = st.selectbox("Edge", edges, format_func=lambda e: f"{e[0]} → {e[1]}", key="graph.remove.edge")
            why = st.text_input("Reason", key="graph.remove.reason")
            remove = st.form_submit_button("Remove edge")
        if add or (remove and edge):
            action, (u, v), text = ("add", (src, dst), reason) if add else ("remove", edge, why)
            with show_errors("overlay edit"):
                if u == v:
                    st.error("An edge needs two different tools.")
                else:
                    save_overlay(edit_overlay(load_overlay(path_file), action, u, v, text, hard=add and hard),
                                 path_file)
                    clear_graph_caches()
                    st.session_state["graph.edit.done"] = f"{action} {u} → {v} saved: {text}"
                    st.rerun()
        if "graph.edit.done" in st.session_state:
            st.success(st.session_state.pop("graph.edit.done"))
        st.json(load_overlay(path_file), expanded=False)
