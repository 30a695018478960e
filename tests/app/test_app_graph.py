"""The API graph page renders offline, filters, highlights a target, and saves overlay edits."""

import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from fr_core.graph import bfcl_graph, distances_to
from workbench.components.graph_view import graph_html, network_html, vis_records

REMOTE = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?https?://", re.I)


def test_pyvis_html_has_no_remote_scripts_or_links():
    g = bfcl_graph(["GorillaFileSystem"]).output
    html = graph_html(g, target="cat", distances=distances_to(g, "cat"), path=["cd", "cat"], matches=["ls"])
    assert "vis.Network" in html or "new vis" in html
    assert not REMOTE.search(html)


def test_the_page_is_the_one_pyvis_generates_for_the_same_graph():
    """The graph is drawn with pyvis's template and files without importing pyvis.network (it imports IPython):
    the HTML is byte for byte what pyvis's Network makes of the same nodes and edges, with or without physics."""
    from pyvis.network import Network

    g = bfcl_graph(["GorillaFileSystem", "TwitterAPI"]).output
    highlights = dict(target="cat", distances=distances_to(g, "cat"), path=["cd", "cat", "post_tweet"],
                      matches=["ls", "touch"], kinds=["state", "param_flow"])
    nodes, edges = vis_records(g, **highlights)
    assert len(nodes) == g.number_of_nodes() and edges
    assert any(e["dashes"] == [2, 6] for e in edges)  # the trace step G has no edge for
    for physics in (True, False):
        net = Network(height="620px", width="100%", directed=True, cdn_resources="in_line", notebook=False)
        for n in nodes:
            extra = {k: v for k, v in n.items() if k not in ("id", "label", "shape", "color")}
            net.add_node(n["id"], label=n["label"], shape=n["shape"], color=n["color"], **extra)
        for e in edges:
            net.add_edge(e["from"], e["to"], **{k: v for k, v in e.items() if k not in ("from", "to", "arrows")})
        net.toggle_physics(physics)
        assert network_html(nodes, edges, physics=physics) == net.generate_html(notebook=False)


def test_hovering_a_tool_tells_when_it_is_blocked_and_why():
    html = graph_html(bfcl_graph(["TradingBot"]).output)
    assert "withdraw_funds blocked: \\u0027Market is closed\\u0027" in html and "market_status=" in html  # JSON-escaped


def test_app_home_renders(app_file):
    at = AppTest.from_file(str(app_file), default_timeout=30).run()
    assert not at.exception
    assert "FunReason-MT Workbench" in at.title[0].value


def test_graph_page_renders_and_reacts(open_page):
    at = open_page("graph")
    assert not at.exception
    assert not at.error
    at.multiselect(key="graph.classes").set_value(["GorillaFileSystem", "TwitterAPI"]).run()
    at.text_input(key="graph.search").input("cat").run()
    at.selectbox(key="graph.target").set_value("cat").run()
    at.toggle(key="graph.only_matches").set_value(True).run()
    assert not at.exception
    assert any("match" in m.value for m in at.markdown)


def test_graph_edit_is_saved_to_overlay(isolated_overlay, open_page):
    at = open_page("graph")
    at.selectbox(key="graph.add.source").set_value("ls")
    at.selectbox(key="graph.add.target").set_value("wc")
    at.text_input(key="graph.add.reason").input("wc counts what ls shows")
    at.button[1].click().run()  # the form submit buttons follow the check button
    assert not at.exception
    saved = json.loads(isolated_overlay.read_text())
    added = saved["add"][0]
    assert {k: added[k] for k in ("source", "target", "reason", "hard")} == {
        "source": "ls", "target": "wc", "reason": "wc counts what ls shows", "hard": False}
    assert added["author"] and added["when"].startswith("20")
    assert any("saved" in s.value for s in at.success)
    shipped = Path(__file__).resolve().parents[2] / "data" / "graph" / "overlay.json"
    assert "wc counts what ls shows" not in shipped.read_text()


def test_removing_an_edge_you_added_drops_the_addition(isolated_overlay, monkeypatch, tmp_path):
    from fr_core.graph import edit_overlay, user_overlay_path

    mine = edit_overlay({"add": [], "remove": []}, "add", "ls", "wc", "wc counts what ls shows", author="ana")
    assert edit_overlay(mine, "remove", "ls", "wc", "no after all") == {"add": [], "remove": []}
    monkeypatch.delenv("FR_GRAPH_OVERLAY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert user_overlay_path() == tmp_path / "data" / "funreason-mt" / "graph_overlay.json"


def test_graph_edit_without_reason_shows_error(isolated_overlay, open_page):
    at = open_page("graph")
    at.selectbox(key="graph.add.target").set_value("wc")
    at.button[1].click().run()
    assert not at.exception
    assert at.error and "reason" in at.error[0].value
    assert not isolated_overlay.exists()


def test_edge_figures_show_at_once_and_the_edge_table_when_opened(open_page):
    """The first view is the drawing and the small figures (Markdown); the sortable edge table is built when its
    expander is opened, with a row per edge of the view."""
    at = open_page("graph")
    assert not at.exception
    g = bfcl_graph(["GorillaFileSystem"]).output
    kinds = next(m.value for m in at.markdown if m.value.startswith("| kind | edges |"))
    assert f"| state | {sum(1 for *_, d in g.edges(data=True) if d['kind'] == 'state')} |" in kinds
    assert any(m.value.startswith("| class | density |\n| --- | --- |\n| GorillaFileSystem |") for m in at.markdown)
    assert not at.dataframe
    (table,) = at.expander
    assert f"({g.number_of_edges()} edges" in table.label
    at.session_state["graph.edge_table"] = True
    at.run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert len(rows) == g.number_of_edges() and {"source", "target", "kind", "reason"} <= set(rows.columns)
