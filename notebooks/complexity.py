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
# # How complex is the generated data?
#
# This report compares generated data (the newest run of the store named by `FR_ANALYSIS_DB`, by default
# `runs/workbench.db`; when there is none, a small run generated here offline) with the BFCL v3 multi-turn **base**
# category and two baselines: the **random walk** (Phase I picks any legal tool instead of walking towards a
# target) and **easy queries** (the same generated turns, asked for step by step instead of implicitly). The
# **directed walk** (Phase I alone, same settings as the random walk) separates what the sampler does from what the
# refine loop's acceptance selects. A generated run and the walks use the class mix of BFCL base (one sample per
# BFCL entry's set of classes), so the comparison is per environment, like for like.
# `FR_ANALYSIS_REPEATS` (default 2 samples per entry) and `FR_ANALYSIS_STRIDE` (default 1, every entry; 4 takes every
# 4th, a quicker and smaller look) size the generated run and the walks.
#
# All numbers and every sentence under a figure are computed from the data below; re-running the notebook with
# another seed or a bigger run rewrites them.

# %%
import os

import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display

from fr_core.analysis import complexity_rows
from fr_core.analysis.runs import analysis_data
from fr_core.store import DEFAULT_DB

SEED = 0
# Generated samples per BFCL entry's class set, when no stored run is analysed (FR_ANALYSIS_REPEATS), and the
# stride over BFCL base entries whose class sets the generated run and the walks imitate (FR_ANALYSIS_STRIDE: 4 takes
# every 4th entry, a quicker and smaller look; the tests use it).
REPEATS = int(os.environ.get("FR_ANALYSIS_REPEATS") or 2)
STRIDE = int(os.environ.get("FR_ANALYSIS_STRIDE") or 1)
DB = os.environ.get("FR_ANALYSIS_DB", str(DEFAULT_DB))  # the newest run of this store; "" always generates

data = analysis_data(SEED, repeats=REPEATS, db=DB, stride=STRIDE)
generated, graphs = data.generated, data.graphs
display(Markdown(f"The generated data set comes from {generated.how}. Random and directed walks: "
                 f"{len(data.random_walk)} episodes each; BFCL v3 base: {len(data.bfcl)} entries."))

# %% [markdown]
# ## The metrics side by side
#
# Means and medians per data set (`attempts needed` exists only where the critique loop ran).

# %%
SOURCES = ["generated", "easy queries", "directed walk", "random walk", "BFCL v3 base"]
frame = pd.DataFrame(complexity_rows(generated.hard + generated.easy + data.directed_walk + data.random_walk
                                     + data.bfcl, graphs))
frame["source"] = pd.Categorical(frame["source"], SOURCES, ordered=True)
METRICS = {
    "turns": "turns per sample",
    "calls": "calls per sample",
    "calls_per_turn": "calls per turn",
    "tools": "distinct tools",
    "classes": "distinct classes",
    "flow_chain": "longest data-flow chain",
    "graph_depth": "dependency depth in the API graph",
    "flow_share": "share of arguments from earlier outputs",
    "query_words": "query length (words)",
    "attempts": "attempts needed",
    "error_turns": "turns with an error response",
}
table = frame.groupby("source", observed=True)[list(METRICS)].agg(["mean", "median"]).round(2)
table.columns = [f"{METRICS[m]} ({stat})" for m, stat in table.columns]
table.T


# %%
def mean(source: str, metric: str) -> float:
    return float(frame.loc[frame["source"] == source, metric].mean())


def compare(metric: str, a: str = "generated", others: tuple[str, ...] = ("random walk", "BFCL v3 base")) -> str:
    """One sentence comparing the mean of ``metric`` in data set ``a`` with the others, with the ratio."""
    va = mean(a, metric)
    parts = []
    for b in others:
        vb = mean(b, metric)
        if vb == 0:
            parts.append(f"{vb:.2f} in {b}")
            continue
        word = "higher" if va > vb else "lower" if va < vb else "the same"
        parts.append(f"{vb:.2f} in {b} ({va / vb:.2f}×, {word})")
    return f"**{METRICS[metric]}**: {va:.2f} in {a} against " + "; ".join(parts) + "."


display(Markdown("\n".join(f"- {compare(m)}" for m in ["calls", "flow_chain", "graph_depth", "flow_share"])
                 + "\n\nPhase I alone (directed walk against random walk):\n"
                 + "\n".join(f"- {compare(m, 'directed walk', ('random walk',))}"
                             for m in ["flow_chain", "graph_depth"])))

# %% [markdown]
# ## Distributions per data set

# %%
long = frame.melt(id_vars=["source", "env"], value_vars=["calls", "tools", "flow_chain", "graph_depth"],
                  var_name="metric", value_name="value")
long["metric"] = long["metric"].map(METRICS)
fig = px.box(long, x="source", y="value", color="source", facet_col="metric", facet_col_wrap=2,
             category_orders={"source": SOURCES}, points=False, height=650)
fig.update_yaxes(matches=None, showticklabels=True)
fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
fig.show()


# %%
def share_at_least(source: str, metric: str, k: float) -> float:
    values = frame.loc[frame["source"] == source, metric]
    return float((values >= k).mean()) if len(values) else 0.0


lines = []
for metric, k in [("flow_chain", 2), ("graph_depth", 3), ("calls", 10)]:
    shares = ", ".join(f"{share_at_least(s, metric, k):.0%} of {s}"
                       for s in ["generated", "directed walk", "random walk", "BFCL v3 base"])
    lines.append(f"- {METRICS[metric]} ≥ {k}: {shares}.")
display(Markdown("Beyond the means, the upper tails:\n" + "\n".join(lines)))

# %% [markdown]
# ## Per environment class
#
# A sample counts under each class it involves.

# %%
per_class = frame.assign(cls=frame["env"].str.split("+")).explode("cls")
fig = px.box(per_class[per_class["source"] != "easy queries"], x="cls", y="calls", color="source",
             category_orders={"source": SOURCES}, points=False, height=450,
             labels={"cls": "environment class", "calls": METRICS["calls"]})
fig.show()
fig = px.box(per_class[per_class["source"] != "easy queries"], x="cls", y="flow_chain", color="source",
             category_orders={"source": SOURCES}, points=False, height=450,
             labels={"cls": "environment class", "flow_chain": METRICS["flow_chain"]})
fig.show()

# %%
by_class = per_class.groupby(["cls", "source"], observed=True)[["calls", "flow_chain"]].mean().unstack("source")


def classes_where_generated_exceeds(metric: str) -> list[str]:
    gen, ref = by_class[(metric, "generated")], by_class[(metric, "BFCL v3 base")]
    return list(by_class.index[gen > ref])


harder_calls = classes_where_generated_exceeds("calls")
longer_flow = classes_where_generated_exceeds("flow_chain")
flow_gap = (by_class[("flow_chain", "generated")] - by_class[("flow_chain", "BFCL v3 base")]).sort_values()
display(Markdown(
    f"Generated samples have more calls than BFCL base in {len(harder_calls)} of {len(by_class)} classes"
    f" ({', '.join(harder_calls) or 'none'}) and longer data-flow chains in {len(longer_flow)}"
    f" ({', '.join(longer_flow) or 'none'}). The largest flow-chain gap in BFCL's favour is in {flow_gap.index[0]}"
    f" ({flow_gap.iloc[0]:+.2f}); the largest in the generated data's favour is in {flow_gap.index[-1]}"
    f" ({flow_gap.iloc[-1]:+.2f})."
))

# %% [markdown]
# ## Queries, attempts and errors

# %%
fig = px.histogram(frame, x="query_words", color="source", barmode="overlay", nbins=40, opacity=0.6,
                   histnorm="probability", category_orders={"source": SOURCES}, height=400,
                   labels={"query_words": "mean query length per sample (words)"})
fig.show()
refined = frame.dropna(subset=["attempts"])
if len(refined):
    fig = px.histogram(refined[refined["source"] == "generated"], x="attempts", nbins=12, height=350,
                       labels={"attempts": "mean attempts per round (generated, accepted samples)"})
    fig.show()

# %%
parts = [compare("query_words", "generated", ("easy queries", "BFCL v3 base")),
         compare("error_turns", "generated", ("random walk", "BFCL v3 base"))]
if len(refined):
    needs_critic = float((refined.loc[refined["source"] == "generated", "attempts"] > 1).mean())
    parts.append(f"In {needs_critic:.0%} of the accepted generated samples at least one round needed the critic "
                 f"(more than one attempt); the mean is {mean('generated', 'attempts'):.2f} attempts per round.")
else:
    parts.append("No round went through the critique loop here, so attempts are not measured.")
display(Markdown("\n\n".join(parts)))

# %% [markdown]
# ## How a model can know each argument
#
# Every argument of every accepted turn has a grounding kind (Phase II's table): **said** by the user (in this
# request or an earlier one), **derived** from an earlier output where it is the only candidate, **visible** among
# several values a tool listed and named by the request (an arbitrary pick is always said, never hidden), or a
# **default**. The share of each kind per environment:

# %%
from fr_core.analysis import grounding_counts, hidden_picks, refer_back_share

counts = grounding_counts(generated.trajectories)
grounding = pd.DataFrame([{"environment": env, "kind": kind, "arguments": n} for (env, kind), n in counts.items()])
if len(grounding):
    grounding["share"] = grounding["arguments"] / grounding.groupby("environment")["arguments"].transform("sum")
    display(px.bar(grounding, x="environment", y="share", color="kind", barmode="stack",
                   category_orders={"kind": ["said", "visible", "derived", "default"]},
                   title="Grounding kinds of the accepted turns' arguments, per environment"))
    share, later = refer_back_share(generated.trajectories)
    kinds = grounding.groupby("kind")["arguments"].sum()
    display(Markdown(
        f"Over {int(kinds.sum())} arguments: " + ", ".join(f"{k} {v / kinds.sum():.0%}" for k, v in kinds.items())
        + f". Accepted turns with an arbitrary pick left unsaid: {hidden_picks(generated.trajectories)}. "
        f"Of {later} later turns, {share:.0%} refer back to something an earlier turn said or made."))
else:
    display(Markdown("These samples carry no grounding table (they were generated before Phase II recorded one)."))

# %% [markdown]
# ## Verdict
#
# For each structural metric, which data set has the highest mean (the harder data by that measure).

# %%
STRUCTURAL = ["calls", "tools", "flow_chain", "graph_depth", "flow_share", "error_turns"]
means = frame[frame["source"] != "easy queries"].groupby("source", observed=True)[STRUCTURAL].mean()
winners = {m: means[m].idxmax() for m in STRUCTURAL}
wins = pd.Series(winners).value_counts()
display(Markdown(
    "\n".join(f"- {METRICS[m]}: highest in **{w}** ({means.loc[w, m]:.2f})" for m, w in winners.items())
    + f"\n\nOf {len(STRUCTURAL)} structural metrics, "
    + ", ".join(f"{src} leads on {int(wins.get(src, 0))}" for src in means.index)
    + f". The generated queries are {mean('generated', 'query_words') / mean('easy queries', 'query_words'):.2f}× "
    "as long as the easy (explicit) queries for the same turns, which name every step instead of leaving them implicit."
))
