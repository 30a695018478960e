# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How diverse is the generated data?
#
# The same data sets as the complexity report (the newest stored run or a run generated here offline, the
# **easy-query** and **random-walk** baselines, BFCL v3 multi-turn **base**) measured for diversity: of the queries
# (distinct-1/2/3, self-BLEU, mean pairwise TF-IDF cosine distance), of tool use (entropy of tools, consecutive tool
# pairs and whole call sequences) and of coverage of the API graph. Then how the query noise `ε` and the number of
# rounds change them (those sweeps always generate their own runs, over every other class set of the generated run).
# `FR_ANALYSIS_REPEATS` (default 2 samples per entry) and `FR_ANALYSIS_STRIDE` (default 1, every BFCL base entry's
# class set; 4 takes every 4th, a quicker and smaller look) size the generated run, the walks and so the sweeps.
#
# Data sets differ in size and distinct-n falls as a corpus grows, so every comparison draws the same number of
# queries (and samples) from each data set, with a fixed seed. Every sentence under a figure is computed.

# %%
import os

import networkx as nx
import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display

from fr_core.analysis import coverage_matrix, diversity_row, tool_counts
from fr_core.analysis.runs import analysis_data, class_graph, generated_views
from fr_core.store import DEFAULT_DB

SEED = 0
# Generated samples per BFCL entry's class set, when no stored run is analysed (FR_ANALYSIS_REPEATS), and the
# stride over BFCL base entries whose class sets the generated run and the walks imitate (FR_ANALYSIS_STRIDE: 4 takes
# every 4th entry, a quicker and smaller look; the tests use it).
REPEATS = int(os.environ.get("FR_ANALYSIS_REPEATS") or 2)
STRIDE = int(os.environ.get("FR_ANALYSIS_STRIDE") or 1)
DB = os.environ.get("FR_ANALYSIS_DB", str(DEFAULT_DB))  # the newest run of this store; "" always generates

data = analysis_data(SEED, repeats=REPEATS, db=DB, stride=STRIDE)
generated = data.generated
graph = nx.compose_all(list(data.graphs.values()))
datasets = {"generated": generated.hard, "easy queries": generated.easy, "random walk": data.random_walk,
            "BFCL v3 base": data.bfcl}
display(Markdown(f"The generated data set comes from {generated.how}. The API graph of all classes involved has "
                 f"{graph.number_of_nodes()} tools and {graph.number_of_edges()} edges."))


# %% [markdown]
# ## The diversity metrics side by side

# %%
def n_queries(samples) -> int:
    return sum(1 for s in samples for t in s.turns if t.query.strip())


LIMIT = min(n_queries(v) for v in datasets.values() if n_queries(v))
rows = {name: diversity_row(views, graph, limit=LIMIT, seed=SEED, embeddings=True) for name, views in datasets.items()}
table = pd.DataFrame(rows).T.astype(float)
table.round(3)

# %%
LOWER_IS_DIVERSE = {"self_bleu"}
LABELS = {"distinct_1": "distinct-1", "distinct_2": "distinct-2", "distinct_3": "distinct-3", "self_bleu": "self-BLEU",
          "tfidf_distance": "TF-IDF distance", "tool_entropy": "tool entropy (bits)",
          "pair_entropy": "tool-pair entropy (bits)", "sequence_entropy": "tool-sequence entropy (bits)",
          "node_coverage": "graph node coverage", "edge_coverage": "graph edge coverage"}


def most_diverse(metric: str) -> str:
    """The data set(s) with the most diverse value of ``metric`` (ties at three decimals are all named)."""
    values = table[metric].dropna().round(3)
    best = values.min() if metric in LOWER_IS_DIVERSE else values.max()
    return " and ".join(values.index[values == best])


lines = [f"- {LABELS[m]}: most diverse is **{most_diverse(m)}** "
         f"({', '.join(f'{n} {float(v):.3f}' for n, v in table[m].dropna().items())})" for m in LABELS]
# The easy-query view shares the generated turns' CoTs (written for the hard queries): not counted twice.
cot = table[["cot_distinct_1", "cot_distinct_2", "cot_distinct_3"]].drop(index="easy queries").dropna()
lines.append("- CoTs (only where the critique loop ran): " + ("; ".join(
    f"{n}: distinct-1/2/3 {r.iloc[0]:.3f} / {r.iloc[1]:.3f} / {r.iloc[2]:.3f}" for n, r in cot.iterrows())
    if len(cot) else "none in these data sets"))
emb = table["embedding"].dropna()
lines.append("- embedding dispersion: " + (", ".join(f"{n} {float(v):.3f}" for n, v in emb.items()) if len(emb) else
                                           "skipped (no sentence-embedding package or model is available here)"))
display(Markdown(f"At {LIMIT} queries per data set (lower self-BLEU is more diverse; higher for the rest):\n"
                 + "\n".join(lines)))

# %% [markdown]
# ## How the noise ε changes diversity
#
# The same seeds (so the same sampled turns) with the query writer's phrasing noise `ε` varied. Every written round
# counts here, accepted or not, so that each `ε` sees the same turns as far as possible.

# %%
SWEEP_SETS = data.class_sets[::2]
NOISES = (0.0, 0.5, 1.0)
TEXT = ["distinct_1", "distinct_2", "distinct_3", "self_bleu", "tfidf_distance"]
by_noise = {eps: generated_views(SWEEP_SETS, SEED, noise=eps, accepted_only=False).hard for eps in NOISES}
noise_limit = min(n_queries(v) for v in by_noise.values())
noise_rows = pd.DataFrame([{"noise ε": eps, **diversity_row(v, graph, limit=noise_limit, seed=SEED)}
                           for eps, v in by_noise.items()])
long = noise_rows.melt(id_vars="noise ε", value_vars=TEXT, var_name="metric", value_name="value")
long["metric"] = long["metric"].map(LABELS)
px.line(long, x="noise ε", y="value", color="metric", markers=True, height=400,
        title=f"Query diversity against ε ({noise_limit} queries each)").show()


# %%
def trend(frame: pd.DataFrame, metric: str) -> str:
    first, last = frame.iloc[0], frame.iloc[-1]
    change = float(last[metric]) - float(first[metric])
    word = "rises" if change > 0 else "falls" if change < 0 else "stays"
    return f"{LABELS[metric]} {word} from {float(first[metric]):.3f} to {float(last[metric]):.3f}"


display(Markdown(f"From ε = {NOISES[0]} to ε = {NOISES[-1]}: " + "; ".join(trend(noise_rows, m) for m in TEXT)
                 + "."))

# %% [markdown]
# ## How the number of rounds changes diversity

# %%
ROUNDS = (1, 2, 3, 4)
by_rounds = {n: generated_views(SWEEP_SETS, SEED, rounds=n, accepted_only=False).hard for n in ROUNDS}
rounds_limit = min(n_queries(v) for v in by_rounds.values())
round_rows = pd.DataFrame([{"rounds": n, **diversity_row(v, graph, limit=rounds_limit, seed=SEED)}
                           for n, v in by_rounds.items()])
TOOLS = ["tool_entropy", "pair_entropy", "sequence_entropy", "node_coverage", "edge_coverage"]
long = round_rows.melt(id_vars="rounds", value_vars=TEXT + TOOLS, var_name="metric", value_name="value")
long["kind"] = long["metric"].map(lambda m: "queries" if m in TEXT else "tool use")
long["metric"] = long["metric"].map(LABELS)
fig = px.line(long, x="rounds", y="value", color="metric", facet_col="kind", markers=True, height=420,
              title=f"Diversity against the number of rounds ({rounds_limit} queries each)")
fig.update_yaxes(matches=None, showticklabels=True)
fig.update_xaxes(dtick=1)
fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
fig.show()

# %%
display(Markdown(f"From {ROUNDS[0]} to {ROUNDS[-1]} rounds: "
                 + "; ".join(trend(round_rows, m) for m in TEXT + TOOLS) + "."))

# %% [markdown]
# ## Tool coverage of the API graph
#
# Share of each data set's calls that go to each tool (tools grouped by class); an empty cell is a tool never called.

# %%
names, _ = coverage_matrix([], graph)
shares = pd.DataFrame({name: pd.Series(tool_counts(v)).reindex(names).fillna(0) for name, v in datasets.items()
                       if name != "easy queries"})
shares = shares / shares.sum()
fig = px.imshow(shares.T.replace(0, float("nan")), aspect="auto", color_continuous_scale="Viridis", height=420,
                labels={"x": "tool", "y": "data set", "color": "share of calls"})
fig.update_xaxes(tickangle=-60, tickfont_size=8, tickmode="linear", dtick=1)
owners = [graph.nodes[n].get("owner", "") for n in names]
for i in range(1, len(names)):
    if owners[i] != owners[i - 1]:  # a white line between classes
        fig.add_vline(x=i - 0.5, line_color="white", line_width=2)
fig.show()

# %%
never = {name: [n for n in names if shares.loc[n, name] == 0] for name in shares.columns}
top = {name: shares[name].idxmax() for name in shares.columns}
display(Markdown("\n".join(
    f"- {name}: calls {len(names) - len(never[name])} of {len(names)} tools; the most called is `{top[name]}` "
    f"({shares.loc[top[name], name]:.1%} of calls)" for name in shares.columns)))

# %% [markdown]
# ### Which graph edges the data walks
#
# Consecutive calls within a round as `from → to` counts, for the file-system class (the largest in BFCL base).

# %%
fs_graph = class_graph(("GorillaFileSystem",))
panels = []
for name in ("generated", "BFCL v3 base"):
    fs_names, m = coverage_matrix(datasets[name], fs_graph)
    panels.append(pd.DataFrame(m, index=fs_names, columns=fs_names).stack().rename("count").reset_index()
                  .rename(columns={"level_0": "from", "level_1": "to"}).assign(data=name))
pairs = pd.concat(panels)
fig = px.density_heatmap(pairs, x="to", y="from", z="count", facet_col="data", histfunc="sum", height=480,
                         color_continuous_scale="Viridis", category_orders={"from": fs_names, "to": fs_names})
fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
fig.show()

# %%
walked = {}
for name in ("generated", "BFCL v3 base"):
    sub = pairs[(pairs["data"] == name) & (pairs["count"] > 0)]
    edges = {(a, b) for a, b in zip(sub["from"], sub["to"]) if fs_graph.has_edge(a, b)}
    walked[name] = (len(edges), len(sub))
display(Markdown(" ".join(
    f"{name} walks {e} of the file-system graph's {fs_graph.number_of_edges()} edges and "
    f"{n} distinct consecutive pairs in all ({n - e} of them not edges of the graph)."
    for name, (e, n) in walked.items())))
