"""Sampler page: Phase I step by step (Eq. 2 directed walk), a whole episode, and the random-walk baseline."""

import streamlit as st

from fr_core.graph import distances_to, legal_tools
from fr_core.sampling import AFTER_TARGET, STRATEGIES, SamplerConfig, sample_episode, sample_turn, summarize
from fr_core.sampling.sampler import EpisodeTrace
from workbench.components.common import TRACE_PATH, class_picker, graph_for, show_errors
from workbench.components.env_cache import fresh_env, initial_config
from workbench.components.trace_view import show_diff, show_step, steps_table

st.title("Phase I sampler")
side = st.sidebar
classes = class_picker("sampler.classes", container=side)
seed = int(side.number_input("Seed (initial state and choices)", 0, 10**6, 0, key="sampler.seed"))
size = side.selectbox("Initial state size", ["small", "medium", "large"], index=1, key="sampler.size")
calls = int(side.number_input("Calls per turn (M)", 1, 20, 4, key="sampler.calls"))
error_share = side.slider("Deliberate error share", 0.0, 0.5, 0.0, 0.05, key="sampler.error_share")

with show_errors("sampler"):
    g = graph_for(classes)
    env0 = fresh_env(classes, seed, size)
    legal0 = legal_tools(g, set(), env0)
    tools = sorted(g.nodes)
    # Default target: a tool that needs a walk (not legal at once) but is reachable from the start state.
    walkable = [t for t in tools if t not in legal0 and any(x in legal0 for x in distances_to(g, t))]
    if st.session_state.get("sampler.target") not in tools:
        st.session_state["sampler.target"] = (walkable or tools)[0]
    target = side.selectbox("Target tool T_a", tools, key="sampler.target",
                            format_func=lambda t: t if t in legal0 else f"{t} (not legal at start)")
    with st.expander(f"Initial state (generate_initial_config({list(classes)}, seed={seed}, size={size!r}))"):
        st.json(initial_config(classes, seed, size), expanded=False)

    key = (classes, seed, target, calls, error_share, size)

    def run(policy: str):
        """Sample one turn on a fresh env (the sampler mutates it)."""
        env = fresh_env(classes, seed, size)
        return sample_turn(env, g, target, calls, seed=seed, policy=policy, error_share=error_share)

    b1, b2, b3, b4 = st.columns(4)
    if b1.button("Sample turn", key="sampler.sample", type="primary"):
        st.session_state["sampler.result"] = (key, run("directed"))
        st.session_state["sampler.shown"] = 0
    held = st.session_state.get("sampler.result")
    if held and held[0] != key:
        st.caption("Settings changed since the last sample: press *Sample turn* again.")
    if held:
        trace = held[1].trace
        shown = st.session_state.get("sampler.shown", 0)
        if b2.button("Step ▶", key="sampler.step", disabled=shown >= len(trace.steps)):
            shown = st.session_state["sampler.shown"] = min(shown + 1, len(trace.steps))
        if b3.button("Show all ⏭", key="sampler.all"):
            shown = st.session_state["sampler.shown"] = len(trace.steps)
        st.session_state[TRACE_PATH] = {"classes": held[0][0], "target": trace.target,
                                        "tools": [s.tool for s in trace.steps[:shown] if s.ok]}
        st.caption("The turn is sampled at once from its seed; *Step* reveals its calls one at a time.")
        st.markdown(f"**Target** `{trace.target}` · start hops {trace.start_hops} · "
                    f"step {shown}/{len(trace.steps)}"
                    + (f" · {trace.end_reason}" if shown == len(trace.steps) else ""))
        if not trace.steps:
            st.warning(trace.end_reason)
        for step in trace.steps[:shown]:
            with st.container(border=True):
                show_step(step)
        if shown:
            st.caption("The successful calls so far are highlighted in red on the API graph page.")
    if b4.button("Compare with random walk", key="sampler.compare"):
        st.session_state["sampler.compare.result"] = (key, run("directed").trace, run("random").trace)
    compare = st.session_state.get("sampler.compare.result")
    if compare and compare[0] == key:
        st.subheader("Directed (Eq. 2) vs random walk, same seed")
        left, right = st.columns(2)
        for col, name, tr in ((left, "directed", compare[1]), (right, "random", compare[2])):
            reached = any(s.ok and s.tool == tr.target for s in tr.steps)
            col.markdown(f"**{name}** — {'reached' if reached else 'did not reach'} `{tr.target}`")
            col.dataframe(steps_table(tr.steps), hide_index=True, width="stretch")

    st.divider()
    st.subheader("Whole episode (N rounds, state carries over)")
    c1, c2, c3, c4 = st.columns(4)
    rounds = int(c1.number_input("Rounds (N)", 1, 10, 3, key="sampler.rounds"))
    strategy = c2.selectbox("Target strategy", STRATEGIES, key="sampler.strategy",
                            help="flow: tools that can take outputs returned earlier in the episode")
    policy = c3.selectbox("Policy", ["directed", "random"], key="sampler.policy")
    after_target = c4.selectbox("After the target", AFTER_TARGET, key="sampler.after_target",
                                help="explore: Eq. 2's random legal tool; related: only tools taking outputs seen so "
                                     "far; stop: the round ends at its target (one goal per request)")
    if st.button("Run episode", key="sampler.episode.run"):
        config = SamplerConfig(calls=calls, rounds=rounds, seed=seed, strategy=strategy, policy=policy,
                               error_share=error_share, after_target=after_target)
        st.session_state["sampler.episode"] = sample_episode(fresh_env(classes, seed, size), g, config).trace
    episode: EpisodeTrace | None = st.session_state.get("sampler.episode")
    if episode:
        stats = summarize([episode])
        m1, m2, m3 = st.columns(3)
        m1.metric("Call success", f"{stats.success_rate:.0%}")
        m2.metric("Targets reached", f"{stats.reached_turns}/{stats.reachable_turns} reachable")
        m3.metric("Args from earlier outputs", f"{stats.flow_share:.0%}")
        for turn in episode.turns:
            with st.expander(f"Round {turn.round + 1}: target {turn.target} — {turn.end_reason}"):
                st.caption(f"Target picked: {turn.target_reason}")
                st.dataframe(steps_table(turn.steps), hide_index=True, width="stretch")
                for step in turn.steps:
                    if step.state_diff:
                        st.markdown(f"State diff after `{step.tool}`")
                        show_diff(step.state_diff)
