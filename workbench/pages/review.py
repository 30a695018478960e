"""Review queue: step through a run's samples with filters and shortcuts, edit and validate a round, accept or
reject (one or many), handle stale rounds, revert revisions and read diffs."""

import getpass
from datetime import datetime

import streamlit as st

from fr_core.errors import FrError
from fr_core.review import (
    REVIEW_STATES,
    QueueFilter,
    check_edit,
    current_attempt,
    decide,
    filter_queue,
    keep_as_is,
    load_current,
    rerun_round,
    revert,
    save_revision,
    steps_text,
)
from workbench.components.attempt_view import compare_rows, missing_calls
from workbench.components.common import graph_for, show_errors
from workbench.components.dataset import stored_runs, store_path
from workbench.components.review import (
    SHORTCUTS,
    cached_queue,
    keyboard,
    open_store,
    state_diff_table,
    word_diff_block,
)
from workbench.components.roles import agents_for, role_backend_selector

st.title("Review queue")
runs = stored_runs(store_path())
if not runs:
    st.info(f"No runs in {store_path()} yet: generate some with `fr generate` or on the Runs & metrics page.")
    st.stop()

side = st.sidebar
run_id = side.selectbox("Run", [r["run"] for r in runs], key="review.run", persist_state="session")
rows = cached_queue(run_id)
side.multiselect("Generation status", ["accepted", "rejected", "failed"], key="review.f.status",
                 persist_state="session", placeholder="any")
side.multiselect("Review decision", list(REVIEW_STATES), key="review.f.review", persist_state="session",
                 placeholder="any")
side.multiselect("Environment", sorted({r["env"] for r in rows}), key="review.f.env", persist_state="session",
                 placeholder="any")
side.toggle("Stale rounds only", key="review.f.stale", persist_state="session")
side.number_input("Min attempts", 0, 100, 0, key="review.f.attempts", persist_state="session")
side.text_input("Search queries, CoT and calls", key="review.f.text", persist_state="session")
backend = role_backend_selector(side)
store = open_store()
text = st.session_state.get("review.f.text", "").strip()
shown = filter_queue(rows, QueueFilter(tuple(st.session_state.get("review.f.status") or ()),
                                       tuple(st.session_state.get("review.f.review") or ()),
                                       tuple(st.session_state.get("review.f.env") or ()),
                                       bool(st.session_state.get("review.f.stale")),
                                       int(st.session_state.get("review.f.attempts") or 0),
                                       frozenset(store.search(run_id, text)) if text else None))
counts = {k: sum(r["review"] == k for r in rows) for k in REVIEW_STATES}
st.caption(f"{len(shown)} of {len(rows)} samples shown · reviewer-accepted {counts['accepted']} · "
           f"reviewer-rejected {counts['rejected']} · undecided {counts['undecided']} · "
           f"stale {sum(bool(r['stale']) for r in rows)}")
st.caption("Shortcuts: " + " · ".join(f"**{k}** {what}" for k, what in SHORTCUTS.items()))
keyboard()
if "review.flash" in st.session_state:
    st.success(st.session_state.pop("review.flash"))

ids = [r["sample"] for r in shown]
if not ids:
    st.info("No sample matches these filters.")
    st.stop()
if st.session_state.get("review.current") not in ids:
    st.session_state["review.current"] = ids[0]
pos = ids.index(st.session_state["review.current"])
who = side.text_input("Reviewer", value=getpass.getuser(), key="review.who", persist_state="session")


def _go(step: int) -> None:
    st.session_state["review.current"] = ids[max(0, min(len(ids) - 1, pos + step))]


def _after_decision(message: str) -> None:
    """Flash what happened and move on to the next sample of the list as it was."""
    st.session_state["review.flash"] = message
    if pos + 1 < len(ids):
        st.session_state["review.current"] = ids[pos + 1]


with st.expander(f"Queue table ({len(shown)} rows): select rows for bulk accept / reject", expanded=False):
    table = st.dataframe(shown, hide_index=True, width="stretch", key="review.table", on_select="rerun",
                         selection_mode="multi-row")
    picked = [shown[i]["sample"] for i in table.selection.rows] if table is not None else []
    b1, b2, b3 = st.columns([1, 1, 2])
    bulk_reason = b3.text_input("Reason (bulk)", key="review.bulk.reason")
    for col, decision, label in ((b1, "accepted", "Accept"), (b2, "rejected", "Reject")):
        if col.button(f"{label} selected ({len(picked)})", key=f"review.bulk.{decision}", disabled=not picked):
            done, refused = 0, []
            for sid in picked:
                try:
                    decide(store, sid, decision, who, bulk_reason)
                    done += 1
                except FrError as exc:
                    refused.append(str(exc))
            st.session_state["review.flash"] = f"{decision.capitalize()} {done} sample(s)" + (
                f"; refused {len(refused)}: {refused[0]}" if refused else "")
            st.rerun()

sid = ids[pos]
n1, n2, n3 = st.columns([1, 1, 6])
if n1.button("Previous", key="review.prev", shortcut="P", disabled=pos == 0):
    _go(-1)
    st.rerun()
if n2.button("Next", key="review.next", shortcut="N", disabled=pos + 1 >= len(ids)):
    _go(1)
    st.rerun()
row = shown[pos]
n3.markdown(f"**Sample {pos + 1} of {len(ids)}** · `{sid}` · generation **{row['status']}** · review "
            f"**{row['review']}**" + (f" · stale: {row['stale']}" if row["stale"] else ""))

with show_errors("Review"):
    trajectory = load_current(store, sid)
    review = store.review(sid)
    if review is not None:
        st.caption(f"Review: {review.decision} by {review.author} at "
                   f"{datetime.fromtimestamp(review.created):%Y-%m-%d %H:%M}"
                   + (f" · why: {review.reason}" if review.reason else "")
                   + (" · accepted anyway" if review.forced else ""))
    round_no = st.radio("Round", range(1, len(trajectory.turns) + 1), horizontal=True, key=f"review.round.{sid}",
                        format_func=lambda n: f"round {n}")
    record = trajectory.turns[round_no - 1]
    st.markdown(f"**User (round {round_no})**: {record.hard_query.text if record.hard_query else '(no query)'}")
    stale = store.stale(run_id).get(sid, {}).get(round_no)
    if stale:
        st.warning(f"Round {round_no} is stale: {stale}")
        s1, s2 = st.columns(2)
        if s1.button("Re-run Phase III", key="review.rerun", help=f"with the {backend} role backend"):
            saved = rerun_round(store, sid, round_no, agents_for(backend), graph_for(trajectory.classes),
                                author=who)
            st.session_state["review.flash"] = (f"Phase III re-run for round {round_no}: "
                                                f"{'PASS' if saved.checked and saved.checked.verdict.passed else 'FAIL'}")
            st.session_state.pop(f"review.editor.{sid}.{round_no}", None)
            st.rerun()
        if s2.button("Keep as is", key="review.keep"):
            keep_as_is(store, sid, round_no, who)
            st.session_state["review.flash"] = f"Round {round_no} kept as it is"
            st.rerun()

    attempt = current_attempt(record)
    version = steps_text(attempt.steps, attempt.reasoning) if attempt else ""
    key = f"review.editor.{sid}.{round_no}"
    if key not in st.session_state:
        st.session_state[key] = version
    left, right = st.columns(2)
    with left, st.container(key="review-editor"):
        draft = st.text_area("Steps (current version): one <think>…</think><tool_call>[…]</tool_call> block per step",
                             key=key, height=340, persist_state="session")
        r1, r2 = st.columns(2)
        if r1.button("Reset the draft", key="review.reset", disabled=draft == version):
            st.session_state.pop(key, None)
            st.rerun()
        r2.button("Validate", key="review.validate", shortcut="V")
    checked = None
    with right, show_errors("Edit"):
        checked = check_edit(trajectory, round_no, draft or "")
        v = checked.verdict
        (st.success if v.passed else st.error)(f"{'PASS' if v.passed else 'FAIL'}"
                                               f"{f' [{v.rule}]' if v.rule else ''}: {v.reason}")
        for w in checked.warnings:
            st.warning(f"Argument check: {w}")
        if not v.passed:
            state_diff_table(checked.expected, v.state)
        st.dataframe(compare_rows(checked.calls, v.results, checked.truth), hide_index=True, width="stretch")
        missing = missing_calls(checked.calls, checked.truth)
        if missing:
            st.caption("Ground-truth calls not made: " + ", ".join(missing))

    c1, c2 = st.columns([3, 2])
    note = c1.text_input("Note (why this edit or decision)", key=f"review.note.{sid}")
    anyway = c2.checkbox("Accept anyway (the edit fails its check)", key=f"review.anyway.{sid}",
                         disabled=checked is None or checked.verdict.passed)
    a1, a2, a3 = st.columns(3)
    action = ("save" if a1.button("Save revision", key="review.save")
              else "accepted" if a2.button("Accept", key="review.accept", shortcut="A", type="primary")
              else "rejected" if a3.button("Reject", key="review.reject", shortcut="X") else None)
    if action is not None:
        if draft != version:
            saved = save_revision(store, sid, round_no, draft or "", who, note)
            if saved.stale:
                st.session_state["review.flash"] = "Stale now: " + "; ".join(saved.stale.values())
        if action == "save":
            st.session_state.setdefault("review.flash", f"Revision of round {round_no} saved")
        else:
            decide(store, sid, action, who, note, anyway=anyway and action == "accepted")
            flash = st.session_state.pop("review.flash", "")
            _after_decision(f"{action.capitalize()} {sid}" + (f" · {flash}" if flash else ""))
        st.session_state.pop(f"review.note.{sid}", None)  # a note belongs to one save or decision
        st.rerun()

    edits = [e for e in store.edits(sid) if e.round == round_no and e.field == "round"]
    st.subheader(f"Revisions of round {round_no} ({len(edits)})")
    if edits:
        st.dataframe([{"revision": e.id, "who": e.author,
                       "when": f"{datetime.fromtimestamp(e.created):%Y-%m-%d %H:%M:%S}",
                       "passed": (e.after.get("verdict") or {}).get("passed"),
                       "note": e.after.get("note", "")} for e in edits], hide_index=True, width="stretch")
        generated = edits[0].before.get("steps", "")
        texts = {"generated": generated, **{f"revision {e.id}": e.after.get("steps", generated) for e in edits}}
        d1, d2, d3 = st.columns([2, 2, 1])
        a = d1.selectbox("Diff from", list(texts), key="review.diff.a")
        b = d2.selectbox("to", list(texts), index=len(texts) - 1, key="review.diff.b")
        word_diff_block(texts[a], texts[b])
        target = d3.selectbox("Revert to", ["generated"] + [str(e.id) for e in edits], key="review.revert.to")
        if d3.button("Revert", key="review.revert"):
            revert(store, sid, round_no, None if target == "generated" else int(target), who)
            st.session_state.pop(key, None)
            st.session_state["review.flash"] = f"Round {round_no} reverted to {target}"
            st.rerun()
    attempts = record.outcome.attempts if record.outcome else ()
    if len(attempts) > 1:
        with st.expander(f"Compare attempts of round {round_no} ({len(attempts)})"):
            names = [f"attempt {x.k} ({'passed' if x.passed else 'failed'})" for x in attempts]
            e1, e2 = st.columns(2)
            i = e1.selectbox("Attempt", range(len(names)), format_func=names.__getitem__, key="review.att.a")
            j = e2.selectbox("with", range(len(names)), index=len(names) - 1, format_func=names.__getitem__,
                             key="review.att.b")
            word_diff_block(steps_text(attempts[i].steps, attempts[i].reasoning),
                            steps_text(attempts[j].steps, attempts[j].reasoning))
