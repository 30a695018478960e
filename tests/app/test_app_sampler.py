"""The sampler page samples a turn, steps through it, compares with the random walk, and runs an episode."""

from workbench.components.common import TRACE_PATH


def test_sampler_renders_with_defaults(open_page):
    at = open_page("sampler")
    assert not at.exception and not at.error


def test_sampler_steps_one_call_at_a_time(open_page):
    at = open_page("sampler")
    at.selectbox(key="sampler.target").set_value("cat")
    at.button(key="sampler.sample").click().run()
    assert not at.exception
    assert at.session_state["sampler.shown"] == 0
    at.button(key="sampler.step").click().run()
    assert at.session_state["sampler.shown"] == 1
    assert any("Rule fired" in m.value for m in at.markdown)
    at.button(key="sampler.all").click().run()
    trace = at.session_state["sampler.result"][1].trace
    assert at.session_state["sampler.shown"] == len(trace.steps) > 1
    assert at.session_state[TRACE_PATH]["target"] == "cat"
    assert not at.exception


def test_sampler_compares_with_random_walk_and_runs_episode(open_page):
    at = open_page("sampler")
    at.multiselect(key="sampler.classes").set_value(["TravelAPI"]).run()
    at.button(key="sampler.compare").click().run()
    assert not at.exception
    assert any("random" in m.value for m in at.markdown)
    at.button(key="sampler.episode.run").click().run()
    assert not at.exception
    assert len(at.session_state["sampler.episode"].turns) == 3
