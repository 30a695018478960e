"""Values the state cannot offer: new names, amounts, dates and free text per tool, plus argument pairs that must agree.

A *fresh* value is one a call creates or types in (``mkdir`` a new folder, ``fund_account`` an amount, a tweet's
text); it is drawn from small seeded pools and kept realistic, and checked against the live state where the
class would refuse it (a fuel amount over the tank's capacity, a withdrawal over the balance). *Pairs* are two
arguments that only work together (a flight route, a distance between two zip codes); the valid pairs are found
once by asking the class itself on a private copy, never copied from its source.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fr_core.envs.base import Environment

__all__ = ["HintContext", "fresh_value", "free_text", "has_fresh", "PAIRS", "DISTINCT", "NEW_ONLY", "PREFER_FRESH", "valid_pairs"]


@dataclass(frozen=True)
class HintContext:
    """What a fresh-value rule may look at: the env, the tool's owner instance (if any), arguments drawn so far."""

    env: Environment
    tool: str
    param: str
    schema: dict[str, Any]
    args: dict[str, Any]
    rng: random.Random
    instance: Any = None


# -- phrase pools (invented here) ------------------------------------------------------------------------------

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
    "comment": (
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
TAGS = ("#tech", "#travel", "#food", "#weekend", "#coding", "#music", "#fitness", "#books")
INSURANCE = ("comprehensive", "travel", "cancellation", "baggage", "medical")
UNITS_SI = ("km", "m", "cm", "mm")
UNITS_IMPERIAL = ("cm", "in", "m", "ft", "yd", "km", "miles", "kg", "lb", "celsius", "fahrenheit")

# A parameter name (or its last word) → which phrase pool its free text comes from.
_TEXT_KINDS = {
    "message": "message", "content": "post", "comment_content": "comment", "title": "title",
    "description": "description", "resolution": "resolution", "messages": "log", "destination": "destination",
    "pattern": "word", "keyword": "word",
}


def free_text(param: str, rng: random.Random, tool: str = "") -> str | None:
    """A realistic phrase for a free-text parameter, or ``None`` when the name does not say it is text."""
    kind = _TEXT_KINDS.get(param)
    if tool == "echo" and param == "content":
        kind = "file"
    if tool == "contact_customer_support":
        kind = "support"
    return rng.choice(PHRASES[kind]) if kind else None


# -- helpers ---------------------------------------------------------------------------------------------------


def _new_name(rng: random.Random, pool: tuple[str, ...], taken: set[Any], suffix: str = "") -> str:
    for _ in range(20):
        name = rng.choice(pool)
        if rng.random() < 0.4:
            name = f"{name}_{rng.randint(2, 99)}"
        name += suffix
        if name not in taken:
            return name
    return f"{rng.choice(pool)}_{rng.randint(100, 999)}{suffix}"


def _taken_names(ctx: HintContext) -> set[Any]:
    """Every file and folder name in the current directory (the rm candidates list both)."""
    return set(ctx.env.candidates("rm", "file_name"))


def _new_file(ctx: HintContext) -> str:
    return _new_name(ctx.rng, FILE_STEMS, _taken_names(ctx), "." + ctx.rng.choice(FILE_EXTS))


def _rename_or_folder(ctx: HintContext) -> str:
    """cp/mv destination: an existing folder (move into it) or, when none fits, a new file name (rename)."""
    folders = [d for d in ctx.env.candidates(ctx.tool, "destination") if d != ctx.args.get("source")]
    if folders and ctx.rng.random() < 0.6:
        return ctx.rng.choice(folders)
    source = str(ctx.args.get("source", ""))
    ext = source.rsplit(".", 1)[1] if "." in source else ctx.rng.choice(FILE_EXTS)
    return _new_name(ctx.rng, FILE_STEMS, _taken_names(ctx), "." + ext)


def _grep_pattern(ctx: HintContext) -> str:
    """A word that occurs in the file being searched (so the search finds something), else a common word."""
    node = None
    cwd = getattr(ctx.instance, "_current_dir", None)
    if cwd is not None:
        node = cwd.contents.get(ctx.args.get("file_name"))
    words = [w.strip(".,:;!?()") for w in str(getattr(node, "content", "")).split()]
    words = [w for w in words if len(w) >= 4 and w.isalpha()]
    return ctx.rng.choice(words) if words else ctx.rng.choice(PHRASES["word"])


def _new_contact(ctx: HintContext) -> str:
    taken = set(ctx.env.candidates("get_user_id", "user"))
    return _new_name(ctx.rng, NAMES, taken)


def _money(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 2)


def _withdraw(ctx: HintContext) -> float:
    balance = float((getattr(ctx.instance, "account_info", None) or {}).get("balance", 0.0))
    return _money(ctx.rng, 10.0, max(10.0, min(balance * 0.5, 2000.0)))


def _order_price(ctx: HintContext) -> float:
    stock = (getattr(ctx.instance, "stocks", None) or {}).get(ctx.args.get("symbol"), {})
    price = float(stock.get("price", 100.0))
    return round(price * ctx.rng.uniform(0.97, 1.03), 2)


def _order_amount(ctx: HintContext) -> int:
    balance = float((getattr(ctx.instance, "account_info", None) or {}).get("balance", 0.0))
    price = float(ctx.args.get("price") or 100.0)
    affordable = int(balance * 0.5 // price) if ctx.args.get("order_type") == "Buy" else 100
    return ctx.rng.randint(1, max(1, min(affordable, 50)))


def _fuel(ctx: HintContext) -> float:
    level = float(getattr(ctx.instance, "fuelLevel", 0.0) or 0.0)
    room = max(0.0, 50.0 - level)
    return round(ctx.rng.uniform(min(1.0, room), max(room, 0.0)), 1) if room >= 1.0 else 0.0


def _insurance_cost(ctx: HintContext) -> float:
    limit = getattr(ctx.instance, "budget_limit", None)
    hi = min(300.0, float(limit)) if limit else 300.0
    return _money(ctx.rng, min(25.0, hi), hi)


def _date(rng: random.Random, years: tuple[int, int]) -> str:
    return f"{rng.randint(*years)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def _ticket_updates(ctx: HintContext) -> dict[str, Any]:
    r = ctx.rng
    options = {
        "priority": lambda: r.randint(1, 5),
        "status": lambda: r.choice(("Open", "In Progress", "Resolved")),
        "title": lambda: r.choice(PHRASES["title"]),
        "description": lambda: r.choice(PHRASES["description"]),
    }
    keys = r.sample(sorted(options), r.randint(1, 2))
    return {k: options[k]() for k in sorted(keys)}


def _numbers(ctx: HintContext) -> list[float]:
    return [round(ctx.rng.uniform(1, 500), 1) for _ in range(ctx.rng.randint(3, 6))]


Fresh = Callable[[HintContext], Any]

# (owner, tool, param) → rule; tool "*" matches every tool of the owner.
FRESH: dict[tuple[str, str, str], Fresh] = {
    # file system
    ("GorillaFileSystem", "touch", "file_name"): _new_file,
    ("GorillaFileSystem", "echo", "file_name"): lambda c: c.rng.choice(c.env.candidates("cat", "file_name") or [_new_file(c)]),
    ("GorillaFileSystem", "mkdir", "dir_name"): lambda c: _new_name(c.rng, DIR_NAMES, _taken_names(c)),
    ("GorillaFileSystem", "cp", "destination"): _rename_or_folder,
    ("GorillaFileSystem", "mv", "destination"): _rename_or_folder,
    ("GorillaFileSystem", "grep", "pattern"): _grep_pattern,
    ("GorillaFileSystem", "tail", "lines"): lambda c: c.rng.randint(1, 10),
    # math
    ("MathAPI", "*", "numbers"): _numbers,
    ("MathAPI", "*", "a"): lambda c: round(c.rng.uniform(1, 1000), 2),
    ("MathAPI", "*", "b"): lambda c: round(c.rng.uniform(1, 100), 2),
    ("MathAPI", "*", "number"): lambda c: round(c.rng.uniform(1, 1000), 2),
    ("MathAPI", "*", "value"): lambda c: round(c.rng.uniform(1, 500), 2),
    ("MathAPI", "logarithm", "base"): lambda c: c.rng.choice((2, 10)),
    ("MathAPI", "*", "precision"): lambda c: c.rng.randint(2, 6),
    ("MathAPI", "percentage", "part"): lambda c: round(c.rng.uniform(1, 100), 1),
    ("MathAPI", "percentage", "whole"): lambda c: round(c.rng.uniform(100, 1000), 1),
    ("MathAPI", "power", "base"): lambda c: c.rng.randint(2, 12),
    ("MathAPI", "power", "exponent"): lambda c: c.rng.randint(2, 4),
    ("MathAPI", "round_number", "decimal_places"): lambda c: c.rng.randint(0, 3),
    ("MathAPI", "si_unit_conversion", "unit_in"): lambda c: c.rng.choice(UNITS_SI),
    ("MathAPI", "si_unit_conversion", "unit_out"): lambda c: c.rng.choice(UNITS_SI),
    ("MathAPI", "imperial_si_conversion", "unit_in"): lambda c: c.rng.choice(UNITS_IMPERIAL),
    ("MathAPI", "imperial_si_conversion", "unit_out"): lambda c: c.rng.choice(UNITS_IMPERIAL),
    # messaging
    ("MessageAPI", "add_contact", "user_name"): _new_contact,
    # posting
    ("TwitterAPI", "post_tweet", "tags"): lambda c: sorted(c.rng.sample(TAGS, c.rng.randint(1, 2))),
    # ticketing
    ("TicketAPI", "create_ticket", "priority"): lambda c: c.rng.randint(1, 5),
    ("TicketAPI", "edit_ticket", "updates"): _ticket_updates,
    ("TicketAPI", "ticket_login", "username"): lambda c: f"{c.rng.choice(NAMES).lower()}.{c.rng.choice(LAST).lower()}",
    ("TicketAPI", "ticket_login", "password"): lambda c: f"{c.rng.choice(FILE_STEMS)}{_digits(c.rng, 4)}!",
    # trading
    ("TradingBot", "trading_login", "username"): lambda c: f"{c.rng.choice(NAMES).lower()}_{_digits(c.rng, 2)}",
    ("TradingBot", "trading_login", "password"): lambda c: f"{c.rng.choice(DIR_NAMES)}{_digits(c.rng, 4)}#",
    ("TradingBot", "fund_account", "amount"): lambda c: _money(c.rng, 100, 5000),
    ("TradingBot", "withdraw_funds", "amount"): _withdraw,
    ("TradingBot", "place_order", "price"): _order_price,
    ("TradingBot", "place_order", "amount"): _order_amount,
    ("TradingBot", "filter_stocks_by_price", "min_price"): lambda c: _money(c.rng, 10, 300),
    ("TradingBot", "filter_stocks_by_price", "max_price"): lambda c: _money(c.rng, 400, 2000),
    ("TradingBot", "notify_price_change", "threshold"): lambda c: float(c.rng.randint(1, 10)),
    # travel
    ("TravelAPI", "authenticate_travel", "client_id"): lambda c: f"client_{_digits(c.rng, 6)}",
    ("TravelAPI", "authenticate_travel", "client_secret"): lambda c: f"secret_{_digits(c.rng, 8)}",
    ("TravelAPI", "authenticate_travel", "refresh_token"): lambda c: f"rt_{_digits(c.rng, 10)}",
    ("TravelAPI", "verify_traveler_information", "date_of_birth"): lambda c: _date(c.rng, (1955, 2000)),
    ("TravelAPI", "verify_traveler_information", "passport_number"): lambda c: f"US{_digits(c.rng, 7)}",
    ("TravelAPI", "register_credit_card", "card_number"): lambda c: c.rng.choice("45") + _digits(c.rng, 15),
    ("TravelAPI", "register_credit_card", "expiration_date"): lambda c: f"{c.rng.randint(1, 12):02d}/{c.rng.randint(2026, 2031)}",
    ("TravelAPI", "register_credit_card", "cardholder_name"): lambda c: f"{c.rng.choice(NAMES)} {c.rng.choice(LAST)}",
    ("TravelAPI", "register_credit_card", "card_verification_number"): lambda c: c.rng.randint(100, 999),
    ("TravelAPI", "*", "travel_date"): lambda c: _date(c.rng, (2025, 2026)),
    ("TravelAPI", "set_budget_limit", "budget_limit"): lambda c: float(c.rng.choice((500, 1000, 2000, 3000, 5000))),
    ("TravelAPI", "purchase_insurance", "insurance_type"): lambda c: c.rng.choice(INSURANCE),
    ("TravelAPI", "purchase_insurance", "insurance_cost"): _insurance_cost,
    ("TravelAPI", "compute_exchange_rate", "value"): lambda c: _money(c.rng, 50, 5000),
    # vehicle
    ("VehicleControlAPI", "adjustClimateControl", "temperature"): lambda c: float(c.rng.randint(16, 28)),
    ("VehicleControlAPI", "adjustClimateControl", "fanSpeed"): lambda c: c.rng.choice((20, 40, 50, 60, 80)),
    ("VehicleControlAPI", "display_log", "messages"): lambda c: [c.rng.choice(PHRASES["log"])],
    ("VehicleControlAPI", "estimate_drive_feasibility_by_mileage", "distance"): lambda c: float(c.rng.randint(20, 900)),
    ("VehicleControlAPI", "fillFuelTank", "fuelAmount"): _fuel,
    ("VehicleControlAPI", "gallon_to_liter", "gallon"): lambda c: float(c.rng.randint(1, 30)),
    ("VehicleControlAPI", "liter_to_gallon", "liter"): lambda c: float(c.rng.randint(5, 120)),
    ("VehicleControlAPI", "pressBrakePedal", "pedalPosition"): lambda c: 1.0 if c.rng.random() < 0.7 else round(c.rng.uniform(0.2, 0.9), 1),
    ("VehicleControlAPI", "setCruiseControl", "speed"): lambda c: float(5 * c.rng.randint(6, 24)),
    ("VehicleControlAPI", "setCruiseControl", "activate"): lambda c: c.rng.random() < 0.8,
    ("VehicleControlAPI", "setCruiseControl", "distanceToNextVehicle"): lambda c: float(c.rng.randint(20, 150)),
    ("VehicleControlAPI", "lockDoors", "unlock"): lambda c: c.rng.random() < 0.3,
    ("VehicleControlAPI", "startEngine", "ignitionMode"): lambda c: "START" if c.rng.random() < 0.85 else "STOP",
}

# Parameters that name something new: never an existing value from the state or an earlier output.
NEW_ONLY = frozenset({
    ("GorillaFileSystem", "touch", "file_name"), ("GorillaFileSystem", "mkdir", "dir_name"),
    ("MessageAPI", "add_contact", "user_name"), ("TravelAPI", "register_credit_card", "card_number"),
})

# Parameters whose state candidates are only a fallback: the call means to create or type a new value.
PREFER_FRESH = frozenset({
    ("VehicleControlAPI", "lockDoors", "unlock"), ("VehicleControlAPI", "startEngine", "ignitionMode"),
})


def _rule(owner: str, tool: str, param: str) -> Fresh | None:
    return FRESH.get((owner, tool, param)) or FRESH.get((owner, "*", param))


def has_fresh(owner: str, tool: str, param: str) -> bool:
    return _rule(owner, tool, param) is not None


def fresh_value(owner: str, ctx: HintContext) -> Any:
    """A new value for ``ctx.param`` by the owner's rule, or ``None`` when there is no rule."""
    rule = _rule(owner, ctx.tool, ctx.param)
    return None if rule is None else rule(ctx)


def _traveler_name(part: str) -> Fresh:
    """The logged-in traveller's own name: verification refuses anyone else."""
    def rule(ctx: HintContext) -> Any:
        own = getattr(ctx.instance, f"user_{part}_name", None)
        return own if own else ctx.rng.choice(ctx.env.candidates(ctx.tool, ctx.param) or list(NAMES))
    return rule


FRESH[("TravelAPI", "verify_traveler_information", "first_name")] = _traveler_name("first")
FRESH[("TravelAPI", "verify_traveler_information", "last_name")] = _traveler_name("last")
PREFER_FRESH = PREFER_FRESH | {
    ("TravelAPI", "verify_traveler_information", "first_name"), ("TravelAPI", "verify_traveler_information", "last_name"),
}

# (owner, tool) → two arguments that must not be equal.
DISTINCT: dict[tuple[str, str], tuple[str, str]] = {
    ("GorillaFileSystem", "cp"): ("source", "destination"),
    ("GorillaFileSystem", "mv"): ("source", "destination"),
    ("GorillaFileSystem", "diff"): ("file_name1", "file_name2"),
}

# -- argument pairs that must agree ----------------------------------------------------------------------------

# (owner, tool) → (first, second, the tool whose answers decide validity, fixed arguments for that probe).
PAIRS: dict[tuple[str, str], tuple[str, str, str, dict[str, Any]]] = {
    ("TravelAPI", "get_flight_cost"): ("travel_from", "travel_to", "get_flight_cost",
                                       {"travel_date": "2025-01-01", "travel_class": "economy"}),
    ("TravelAPI", "book_flight"): ("travel_from", "travel_to", "get_flight_cost",
                                   {"travel_date": "2025-01-01", "travel_class": "economy"}),
    ("VehicleControlAPI", "estimate_distance"): ("cityA", "cityB", "estimate_distance", {}),
    ("MathAPI", "imperial_si_conversion"): ("unit_in", "unit_out", "imperial_si_conversion", {"value": 1.0}),
    ("MathAPI", "si_unit_conversion"): ("unit_in", "unit_out", "si_unit_conversion", {"value": 1.0}),
    ("TravelAPI", "compute_exchange_rate"): ("base_currency", "target_currency", "compute_exchange_rate", {"value": 1.0}),
}

_PAIR_CACHE: dict[tuple[str, str], tuple[tuple[Any, Any], ...]] = {}


def valid_pairs(env: Environment, owner: str, tool: str, instance: Any,
                firsts: list[Any], seconds: list[Any]) -> tuple[tuple[Any, Any], ...]:
    """Pairs the class accepts, found once per (owner, tool) by calling it on a private copy of ``instance``.

    The answer depends only on the class's fixed tables (routes, zip codes, units), not on the live state.
    """
    first, second, probe_tool, fixed = PAIRS[(owner, tool)]
    key = (owner, probe_tool)
    if key not in _PAIR_CACHE:
        private = copy.deepcopy(instance)
        method = getattr(private, probe_tool)
        found = []
        for a in firsts:
            for b in seconds:
                if a == b:
                    continue
                try:
                    out = method(**{first: a, second: b, **fixed})
                except Exception:  # the class refuses the pair by raising; that is the answer we want
                    continue
                if not (isinstance(out, dict) and "error" in out):
                    found.append((a, b))
        _PAIR_CACHE[key] = tuple(sorted(found))
    return _PAIR_CACHE[key]
