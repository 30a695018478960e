"""The critique page runs Phases II–III offline and steps attempt by attempt."""


def test_critique_page_renders_offline(open_page):
    at = open_page("critique")
    assert not at.exception and not at.error
    assert at.selectbox(key="shared.role_backend").value == "offline"


def test_critique_loop_steps_attempts(open_page):
    at = open_page("critique")
    at.slider(key="critique.mistake_rate").set_value(1.0)
    at.button(key="critique.run.button").click().run()
    assert not at.exception and not at.error
    run = at.session_state["critique.run"]
    assert run.hard.output.text and run.easy.output.text
    attempts = run.outcome.output.attempts
    assert at.session_state["critique.shown"] == 1
    assert any("Attempt 1" in m.value for m in list(at.success) + list(at.warning))
    assert any(m.value.startswith("*Step 1*") for m in at.markdown)  # the attempt is shown step by step
    at.button(key="critique.all").click().run()
    assert at.session_state["critique.shown"] == len(attempts)
    assert not at.exception


def test_critique_uses_the_sampler_turn(app_file):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/sampler.py").run()
    at.button(key="sampler.sample").click().run()
    turn = at.session_state["sampler.result"][1].output
    at.switch_page("pages/critique.py").run()
    at.radio(key="critique.turn_source").set_value("Sampler page's turn").run()
    at.button(key="critique.run.button").click().run()
    assert not at.exception and not at.error
    assert at.session_state["critique.run"].turn == turn
