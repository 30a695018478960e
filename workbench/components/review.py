"""Review queue helpers for pages: the shared store handle, cached queue rows, remembered filters, the keyboard
shortcuts, and readable diffs (state diff table, word diffs)."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from fr_core.review import queue_rows, state_diff, word_diff_html
from fr_core.store import Store
from workbench.components.dataset import stamp, store_path

__all__ = ["SHORTCUTS", "open_store", "cached_queue", "keyboard", "state_diff_table", "word_diff_block",
           "clear_queue_cache"]

#: Every shortcut of the review page: key -> what it does (listed on the page).
SHORTCUTS: dict[str, str] = {"N": "next sample", "P": "previous sample", "A": "accept", "X": "reject",
                             "V": "validate", "E": "focus the editor", "Ctrl+Enter": "apply the edit (validates)",
                             "Esc": "leave the editor"}


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def open_store() -> Store:
    """The app's store (``FR_STORE`` or ``runs/workbench.db``), one shared handle per file."""
    return _store(str(store_path()))


@st.cache_data(show_spinner="Reading the run's queue…", max_entries=8)
def _queue(path: str, run_id: str, version: float) -> list[dict[str, Any]]:
    return queue_rows(_store(path), run_id)


def cached_queue(run_id: str) -> list[dict[str, Any]]:
    """The run's queue rows, read again whenever the store changed (a decision, an edit, a new sample)."""
    path = store_path()
    return _queue(str(path), run_id, stamp(path))


def clear_queue_cache() -> None:
    _queue.clear()


_KEYS_JS = """
<script>
(function () {
  const doc = window.parent.document;
  if (doc.__frReviewKeys) { return; }
  doc.__frReviewKeys = true;
  doc.addEventListener("keydown", function (e) {
    const el = doc.activeElement;
    const typing = el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.isContentEditable);
    if (e.key === "Escape" && typing) { el.blur(); return; }
    if (!typing && (e.key === "e" || e.key === "E") && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const area = doc.querySelector(".st-key-review-editor textarea");
      if (area) { e.preventDefault(); area.focus(); }
    }
  }, true);
})();
</script>
"""


def keyboard() -> None:
    """The two shortcuts Streamlit buttons cannot have: E focuses the editor, Esc leaves it (so N, P, A, X and V,
    which are buttons' own shortcuts, work again)."""
    st.html(_KEYS_JS, unsafe_allow_javascript=True)


def word_diff_block(before: str, after: str) -> None:
    """Two texts with removed words struck through in red and added ones underlined in green."""
    style = ("<style>.fr-diff del{background:#fdd;color:#900}.fr-diff ins{background:#dfd;color:#060;"
             "text-decoration:underline}</style>")
    st.html(style + word_diff_html(before, after))


def state_diff_table(expected: Any, got: Any, limit: int = 50) -> None:
    """Where two states differ, as a table: path, the ground truth's value and this edit's, changed words marked."""
    rows = state_diff(expected, got, limit)
    if not rows:
        return
    cells = "".join(f"<tr><td><code>{html.escape(r['path'])}</code></td><td>{_marked(r['before'], r['after'], '-')}"
                    f"</td><td>{_marked(r['before'], r['after'], '+')}</td></tr>" for r in rows)
    st.html("<style>.fr-state td{vertical-align:top;padding:2px 6px}.fr-state del{background:#fdd;color:#900}"
            ".fr-state ins{background:#dfd;color:#060}</style><table class='fr-state'><tr><th>path</th>"
            f"<th>ground truth (before)</th><th>this edit (after)</th></tr>{cells}</table>")


def _marked(before: str, after: str, side: str) -> str:
    from fr_core.review import word_diff

    tag = "del" if side == "-" else "ins"
    return "".join(html.escape(t) if op == "=" else f"<{tag}>{html.escape(t)}</{tag}>"
                   for op, t in word_diff(before, after) if op in ("=", side))
