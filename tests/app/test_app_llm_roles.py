"""With a key in the environment the sidebar offers the profile; the critique loop then runs through the OpenAI SDK
against a local fake server, shows each call's latency, tokens and cache use, and never shows the key."""

import json
import re

from fr_core.llm.fakeserver import FakeOpenAIServer, FakeReply

SECRET = "sk-test-never-shown-0123456789"


def _model(messages: list[dict]) -> str:
    """JSON for A_T / A_Q / A_C; for A_R the chain listed in the tooling prompt."""
    last, first = messages[-1]["content"], messages[0]["content"]
    if "You are the tooling agent" in last:
        _model.chain = ", ".join(re.findall(r"^\d+\. \[\w+\] (.*?) -- ", last, re.M))
        return json.dumps({"name": "tidy_files", "description": "Tidies the files.", "parameters": {}})
    if "You are the querying agent" in last:
        return json.dumps({"query": "Please tidy up my project folder for me."})
    if "You are the critiquing agent" in last:
        return json.dumps({"critique": "Call the tools inside <tool_call>[...]</tool_call>."})
    if "solves user requests by calling tools" in first:
        return f"<think>Following the plan.</think><tool_call>[{getattr(_model, 'chain', '')}]</tool_call>"
    return "<answer>Done.</answer>"


def test_llm_profile_from_sidebar_runs_critique_loop(open_page, tmp_path, monkeypatch):
    with FakeOpenAIServer(responder=lambda body: FakeReply(text=_model(body["messages"]))) as server:
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
    assert events and all(e["kind"] == "llm_call" for e in events)
    assert any("latency s" in str(df.value.columns.tolist()) for df in at.dataframe)
    assert SECRET not in repr(at._tree)
