"""With a key in the environment the sidebar offers the profile; the critique loop then runs through the OpenAI SDK
against a local fake server, shows each call's latency, tokens and cache use, and never shows the key."""

from fr_core.llm.fakeserver import FakeOpenAIServer, StepwiseModel

SECRET = "sk-test-never-shown-0123456789"


def test_llm_profile_from_sidebar_runs_critique_loop(open_page, tmp_path, monkeypatch):
    with FakeOpenAIServer(responder=StepwiseModel()) as server:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fake]\nprovider = "openai"\nmodel = "fake-model"\n'
                          f'base_url = "{server.base_url}"\napi_key_env = "FAKE_KEY"\nmax_attempts = 1\n')
        monkeypatch.setenv("FR_MODELS", str(models))
        monkeypatch.setenv("FAKE_KEY", SECRET)
        at = open_page("critique")
        assert any(o.startswith("fake:") for o in at.selectbox(key="shared.role_backend").options)
        at.selectbox(key="shared.role_backend").set_value("fake").run()
        at.button(key="critique.run.button").click().run()
        at.button(key="critique.all").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = at.session_state["critique.run"]
    assert run.adv.output.spec.name == "tidy_files"
    events = [e for a in run.outcome.output.attempts for e in a.llm_events]
    assert events and all(e.kind == "llm_call" for e in events)
    assert any("latency s" in str(df.value.columns.tolist()) for df in at.dataframe)
    assert SECRET not in repr(at._tree)
