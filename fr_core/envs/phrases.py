"""Small invented vocabularies for values a call types in (names, phrases, dates), drawn with a caller's seeded rng."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["PHRASES", "NAMES", "LAST", "FILE_STEMS", "FILE_EXTS", "DIR_NAMES", "TEXT_KINDS", "text_for",
           "new_name", "digits", "date", "money"]

PHRASES: dict[str, tuple[str, ...]] = {
    "message": (
        "Can we move tomorrow's sync to 3pm?",
        "The quarterly numbers are in the shared folder.",
        "Thanks for the quick turnaround on the draft!",
        "Reminder: the invoice is due on Friday.",
        "Are you free for a short call this afternoon?",
        "I pushed the fix, please take a look when you can.",
        "Landing at 6, see you at the station.",
        "Please double-check the totals before we send them out.",
    ),
    "post": (
        "Just wrapped up a long week of testing, time for a coffee.",
        "Three things I learned shipping our first release this month.",
        "The sunrise over the bay this morning was unreal.",
        "Reading list for the weekend: two novels and a stack of papers.",
        "Small wins: the build is finally green again.",
        "Trying a new sourdough recipe today, wish me luck.",
        "Great turnout at the meetup tonight, thanks everyone!",
    ),
    "reply": (
        "Totally agree with this.", "Great point, thanks for sharing!", "Could you say more about the second part?",
        "This made my day.", "Bookmarking this for later.", "Interesting take, I see it differently.",
    ),
    "title": (
        "Login page times out", "Printer on floor 3 offline", "Refund not received", "VPN disconnects hourly",
        "Cannot export report to PDF", "Laptop battery drains fast", "Wrong address on invoice",
        "Flight change request", "Access to shared drive", "Password reset link expired",
    ),
    "description": (
        "Started yesterday after the update; happens every time I try.",
        "Several people on the team see the same problem since Monday.",
        "I have attached the steps to reproduce in the first message.",
        "Urgent: blocks the month-end close.",
        "Not critical, but it is slowing us down.",
    ),
    "resolution": (
        "Reset the account and confirmed access with the user.",
        "Replaced the faulty cable; device back online.",
        "Refund issued; it should arrive within five business days.",
        "Applied the latest patch and restarted the service.",
        "Duplicate of an earlier ticket; closed after merging.",
    ),
    "file": (
        "Meeting notes: agreed on the new release date and owners.",
        "TODO: update dependencies, rerun the benchmarks, tag the release.",
        "total,region\n1200,north\n980,south\n",
        "Draft intro: this report summarises the results of the pilot.",
        "error: connection reset by peer (retrying in 5s)",
    ),
    "log": (
        "Engine check before the trip", "Tire pressure looked low this morning", "Cruise control set on highway",
        "Refuelled at the station near the exit", "Climate set for the passengers",
    ),
    "support": (
        "I need to change the date of my flight, is that possible?",
        "My card was charged twice for this booking.",
        "Can I add extra luggage to this booking?",
        "Please confirm my seat is by the window.",
    ),
    "destination": (
        "2107 Channing Way, Berkeley, CA", "350 Fifth Avenue, New York, NY", "1 Market St, San Francisco, CA",
        "12 Harbor Road, Rivermist", "48 Oak Lane, Stonebrook",
    ),
    "note": (
        "Pick up the dry cleaning before six.", "Ideas for the team offsite: hiking, cooking class, museum.",
        "Call the landlord about the heating.", "Book club: finish chapters 4 to 7 by Thursday.",
    ),
    "word": ("budget", "deadline", "report", "meeting", "total", "error", "draft", "release", "invoice", "team"),
}
NAMES = ("Ava", "Benedikt", "Carmen", "Dev", "Elena", "Farid", "Greta", "Hugo", "Ilona", "Jonah", "Kemal", "Lucia",
         "Milo", "Nora", "Otto", "Priya", "Ruben", "Sofia", "Timo", "Yara")
LAST = ("Baker", "Costa", "Dahl", "Ekwueme", "Fischer", "Garcia", "Horvat", "Ito", "Jensen", "Kowalski", "Lindqvist")
FILE_STEMS = ("notes", "summary", "todo", "draft", "report", "budget", "minutes", "plan", "checklist", "ideas",
              "results", "backup", "readme", "agenda", "changelog")
FILE_EXTS = ("txt", "md", "csv", "log", "py", "json")
DIR_NAMES = ("archive", "drafts", "reports", "backup", "old", "projects", "shared", "temp", "photos", "invoices",
             "exports", "research", "2024", "q3")

# A parameter's name → which phrase pool its free text comes from.
TEXT_KINDS = {
    "message": "message", "content": "post", "comment_content": "reply", "title": "title",
    "description": "description", "resolution": "resolution", "messages": "log", "destination": "destination",
    "body": "note", "text": "note", "note": "note", "pattern": "word", "keyword": "word",
}


def text_for(kind: str | None, rng: random.Random) -> str | None:
    """A phrase of the pool ``kind``, or ``None`` for no pool."""
    return rng.choice(PHRASES[kind]) if kind in PHRASES else None


def new_name(rng: random.Random, pool: tuple[str, ...], taken: set[Any], suffix: str = "") -> str:
    """A name from ``pool`` (sometimes numbered) that is not in ``taken``."""
    for _ in range(20):
        name = rng.choice(pool)
        if rng.random() < 0.4:
            name = f"{name}_{rng.randint(2, 99)}"
        name += suffix
        if name not in taken:
            return name
    return f"{rng.choice(pool)}_{rng.randint(100, 999)}{suffix}"


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def date(rng: random.Random, years: tuple[int, int]) -> str:
    return f"{rng.randint(*years)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def money(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 2)
