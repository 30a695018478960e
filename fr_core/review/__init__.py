"""Review: reviewers' revisions as the current version of a sample, review decisions, stale rounds, the queue
over a run, and readable diffs."""

from fr_core.review.actions import (
    Saved,
    decide,
    failing_rounds,
    keep_as_is,
    load_current,
    rerun_round,
    revert,
    save_revision,
)
from fr_core.review.diff import state_diff, word_diff, word_diff_html
from fr_core.review.queue import REVIEW_STATES, QueueFilter, filter_queue, queue_rows
from fr_core.review.revise import (
    Checked,
    calls_text,
    check_edit,
    current,
    current_attempt,
    parse_steps,
    record_of,
    revised_rounds,
    stale_rounds,
    start_env,
    steps_text,
)

__all__ = ["REVIEW_STATES", "Checked", "QueueFilter", "Saved", "calls_text", "check_edit", "current",
           "current_attempt", "decide", "failing_rounds", "filter_queue", "keep_as_is", "load_current",
           "parse_steps", "queue_rows", "record_of", "rerun_round", "revert", "revised_rounds", "save_revision",
           "stale_rounds", "start_env", "state_diff", "steps_text", "word_diff", "word_diff_html"]
