"""BFCL's values the state cannot offer: new names, amounts, dates and free text per tool, plus argument pairs
that must agree and arguments that must differ.

A *fresh* value is one a call creates or types in (``mkdir`` a new folder, ``fund_account`` an amount, a tweet's
text); it is drawn from small seeded pools and kept realistic, and checked against the live state where the
class would refuse it (a fuel amount over the tank's capacity, a withdrawal over the balance). *Pairs* are two
arguments that only work together (a flight route, a distance between two zip codes); the valid pairs are found
once by asking the class itself on a private copy, never copied from its source.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

from fr_core.envs.knowledge import FreshContext
from fr_core.envs.phrases import (DIR_NAMES, FILE_EXTS, FILE_STEMS, LAST, NAMES, date, digits, money, number, phrase,
                                  new_name)

__all__ = ["FRESH", "NEW_ONLY", "PREFER_FRESH", "DISTINCT", "PAIRS", "POOLS", "TEXT_TOOLS", "fresh_rule",
           "valid_pairs"]

TAGS = ("#tech", "#travel", "#food", "#weekend", "#coding", "#music", "#fitness", "#books")
INSURANCE = ("comprehensive", "travel", "cancellation", "baggage", "medical")
UNITS_SI = ("km", "m", "cm", "mm")
UNITS_IMPERIAL = ("cm", "in", "m", "ft", "yd", "km", "miles", "kg", "lb", "celsius", "fahrenheit")

# (tool, param) → the phrase pool of a free-text argument whose name alone does not say it.
TEXT_TOOLS: dict[tuple[str, str], str] = {
    ("echo", "content"): "file",
    ("contact_customer_support", "message"): "support",
}

def _taken_names(ctx: FreshContext) -> set[Any]:
    """Every file and folder name in the current directory (the rm candidates list both)."""
    return set(ctx.env.candidates("rm", "file_name"))


def _new_file(ctx: FreshContext) -> str:
    return new_name(ctx.rng, FILE_STEMS, _taken_names(ctx), "." + ctx.rng.choice(FILE_EXTS))


def _rename_or_folder(ctx: FreshContext) -> str:
    """cp/mv destination: an existing folder (move into it) or, when none fits, a new file name (rename)."""
    folders = [d for d in ctx.env.candidates(ctx.tool, "destination") if d != ctx.args.get("source")]
    if folders and ctx.rng.random() < 0.6:
        return ctx.rng.choice(folders)
    source = str(ctx.args.get("source", ""))
    ext = source.rsplit(".", 1)[1] if "." in source else ctx.rng.choice(FILE_EXTS)
    return new_name(ctx.rng, FILE_STEMS, _taken_names(ctx), "." + ext)


def _grep_pattern(ctx: FreshContext) -> str:
    """A word that occurs in the file being searched (so the search finds something), else a common word."""
    node = None
    cwd = getattr(ctx.instance, "_current_dir", None)
    if cwd is not None:
        node = cwd.contents.get(ctx.args.get("file_name"))
    words = [w.strip(".,:;!?()") for w in str(getattr(node, "content", "")).split()]
    words = [w for w in words if len(w) >= 4 and w.isalpha()]
    return ctx.rng.choice(words) if words else phrase("word", ctx.rng)


def _new_contact(ctx: FreshContext) -> str:
    taken = set(ctx.env.candidates("get_user_id", "user"))
    return new_name(ctx.rng, NAMES, taken)


def _withdraw(ctx: FreshContext) -> float:
    balance = float((getattr(ctx.instance, "account_info", None) or {}).get("balance", 0.0))
    return money(ctx.rng, 10.0, max(10.0, min(balance * 0.5, 2000.0)))


def _history_end(ctx: FreshContext) -> str:
    """The day after a transaction on or after the start date: BFCL's end date is midnight, so an end on the start
    day (or before it) finds nothing."""
    start = ctx.args.get("start_date")
    days = [d for d in ctx.env.candidates(ctx.tool, "end_date") if not start or d >= start] or [start or "2024-09-08"]
    return (datetime.date.fromisoformat(ctx.rng.choice(days)) + datetime.timedelta(days=1)).isoformat()


def _order_price(ctx: FreshContext) -> float:
    stock = (getattr(ctx.instance, "stocks", None) or {}).get(ctx.args.get("symbol"), {})
    price = float(stock.get("price", 100.0))
    return round(price * ctx.rng.uniform(0.97, 1.03), 2)


def _order_amount(ctx: FreshContext) -> int:
    balance = float((getattr(ctx.instance, "account_info", None) or {}).get("balance", 0.0))
    price = float(ctx.args.get("price") or 100.0)
    affordable = int(balance * 0.5 // price) if ctx.args.get("order_type") == "Buy" else 100
    return ctx.rng.randint(1, max(1, min(affordable, 50)))


def _fuel(ctx: FreshContext) -> float | int:
    level = float(getattr(ctx.instance, "fuelLevel", 0.0) or 0.0)
    room = max(0.0, 50.0 - level)
    return number(ctx.rng, 1, int(room), exact=0.3) if room >= 1.0 else 0


def _insurance_cost(ctx: FreshContext) -> float:
    limit = getattr(ctx.instance, "budget_limit", None)
    hi = min(300.0, float(limit)) if limit else 300.0
    return money(ctx.rng, min(25.0, hi), hi)


def _ticket_updates(ctx: FreshContext) -> dict[str, Any]:
    r = ctx.rng
    options = {
        "priority": lambda: r.randint(1, 5),
        "status": lambda: r.choice(("Open", "In Progress", "Resolved")),
        "title": lambda: phrase("title", r),
        "description": lambda: phrase("description", r),
    }
    keys = r.sample(sorted(options), r.randint(1, 2))
    return {k: options[k]() for k in sorted(keys)}


def _numbers(ctx: FreshContext) -> list[float | int]:
    return [number(ctx.rng, 1, 500) for _ in range(ctx.rng.randint(3, 6))]


Fresh = Callable[[FreshContext], Any]

# (owner, tool, param) → rule; tool "*" matches every tool of the owner.
FRESH: dict[tuple[str, str, str], Fresh] = {
    # file system
    ("GorillaFileSystem", "touch", "file_name"): _new_file,
    ("GorillaFileSystem", "echo", "file_name"): lambda c: c.rng.choice(
        c.env.candidates("cat", "file_name") or [_new_file(c)]
    ),
    ("GorillaFileSystem", "mkdir", "dir_name"): lambda c: new_name(c.rng, DIR_NAMES, _taken_names(c)),
    ("GorillaFileSystem", "cp", "destination"): _rename_or_folder,
    ("GorillaFileSystem", "mv", "destination"): _rename_or_folder,
    ("GorillaFileSystem", "grep", "pattern"): _grep_pattern,
    ("GorillaFileSystem", "tail", "lines"): lambda c: c.rng.randint(1, 10),
    # math
    ("MathAPI", "*", "numbers"): _numbers,
    ("MathAPI", "*", "a"): lambda c: number(c.rng, 1, 1000, places=2, exact=0.5),
    ("MathAPI", "*", "b"): lambda c: number(c.rng, 1, 100, places=2, exact=0.5),
    ("MathAPI", "*", "number"): lambda c: number(c.rng, 1, 1000, places=2, exact=0.5),
    ("MathAPI", "*", "value"): lambda c: number(c.rng, 1, 500, places=2, exact=0.5),
    ("MathAPI", "logarithm", "base"): lambda c: c.rng.choice((2, 10)),
    ("MathAPI", "*", "precision"): lambda c: c.rng.randint(2, 6),
    ("MathAPI", "percentage", "part"): lambda c: number(c.rng, 1, 100, exact=0.3),
    ("MathAPI", "percentage", "whole"): lambda c: number(c.rng, 100, 1000, exact=0.3),
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
    ("TicketAPI", "ticket_login", "password"): lambda c: f"{c.rng.choice(FILE_STEMS)}{digits(c.rng, 4)}!",
    # trading
    ("TradingBot", "trading_login", "username"): lambda c: f"{c.rng.choice(NAMES).lower()}_{digits(c.rng, 2)}",
    ("TradingBot", "trading_login", "password"): lambda c: f"{c.rng.choice(DIR_NAMES)}{digits(c.rng, 4)}#",
    ("TradingBot", "fund_account", "amount"): lambda c: money(c.rng, 100, 5000),
    ("TradingBot", "withdraw_funds", "amount"): _withdraw,
    ("TradingBot", "place_order", "price"): _order_price,
    ("TradingBot", "get_transaction_history", "end_date"): _history_end,
    ("TradingBot", "place_order", "amount"): _order_amount,
    ("TradingBot", "filter_stocks_by_price", "min_price"): lambda c: money(c.rng, 10, 300),
    ("TradingBot", "filter_stocks_by_price", "max_price"): lambda c: money(c.rng, 400, 2000),
    ("TradingBot", "notify_price_change", "threshold"): lambda c: c.rng.randint(1, 10),
    # travel
    ("TravelAPI", "authenticate_travel", "client_id"): lambda c: f"client_{digits(c.rng, 6)}",
    ("TravelAPI", "authenticate_travel", "client_secret"): lambda c: f"secret_{digits(c.rng, 8)}",
    ("TravelAPI", "authenticate_travel", "refresh_token"): lambda c: f"rt_{digits(c.rng, 10)}",
    ("TravelAPI", "verify_traveler_information", "date_of_birth"): lambda c: date(c.rng, (1955, 2000)),
    ("TravelAPI", "verify_traveler_information", "passport_number"): lambda c: f"US{digits(c.rng, 7)}",
    ("TravelAPI", "register_credit_card", "card_number"): lambda c: c.rng.choice("45") + digits(c.rng, 15),
    ("TravelAPI", "register_credit_card", "expiration_date"): lambda c: (
        f"{c.rng.randint(1, 12):02d}/{c.rng.randint(2026, 2031)}"
    ),
    ("TravelAPI", "register_credit_card", "cardholder_name"): lambda c: f"{c.rng.choice(NAMES)} {c.rng.choice(LAST)}",
    ("TravelAPI", "register_credit_card", "card_verification_number"): lambda c: c.rng.randint(100, 999),
    ("TravelAPI", "*", "travel_date"): lambda c: date(c.rng, (2025, 2026)),
    ("TravelAPI", "set_budget_limit", "budget_limit"): lambda c: c.rng.choice((500, 1000, 2000, 3000, 5000)),
    ("TravelAPI", "purchase_insurance", "insurance_type"): lambda c: c.rng.choice(INSURANCE),
    ("TravelAPI", "purchase_insurance", "insurance_cost"): _insurance_cost,
    ("TravelAPI", "compute_exchange_rate", "value"): lambda c: money(c.rng, 50, 5000),
    # vehicle
    ("VehicleControlAPI", "adjustClimateControl", "temperature"): lambda c: c.rng.randint(16, 28),
    # the unit the temperature was drawn in: never a cabin at 20 degrees Fahrenheit
    ("VehicleControlAPI", "adjustClimateControl", "unit"): lambda c: (
        "fahrenheit" if float(c.args.get("temperature", 0)) > 40 else "celsius"
    ),
    ("VehicleControlAPI", "adjustClimateControl", "fanSpeed"): lambda c: c.rng.choice((20, 40, 50, 60, 80)),
    ("VehicleControlAPI", "display_log", "messages"): lambda c: [phrase("log", c.rng)],
    ("VehicleControlAPI", "estimate_drive_feasibility_by_mileage", "distance"): lambda c: c.rng.randint(20, 900),
    ("VehicleControlAPI", "fillFuelTank", "fuelAmount"): _fuel,
    ("VehicleControlAPI", "gallon_to_liter", "gallon"): lambda c: c.rng.randint(1, 30),
    ("VehicleControlAPI", "liter_to_gallon", "liter"): lambda c: c.rng.randint(5, 120),
    ("VehicleControlAPI", "pressBrakePedal", "pedalPosition"): lambda c: (
        1.0 if c.rng.random() < 0.7 else round(c.rng.uniform(0.2, 0.9), 1)
    ),
    ("VehicleControlAPI", "setCruiseControl", "speed"): lambda c: 5 * c.rng.randint(6, 24),
    ("VehicleControlAPI", "setCruiseControl", "activate"): lambda c: c.rng.random() < 0.8,
    ("VehicleControlAPI", "setCruiseControl", "distanceToNextVehicle"): lambda c: c.rng.randint(20, 150),
    ("VehicleControlAPI", "lockDoors", "unlock"): lambda c: c.rng.random() < 0.3,
    ("VehicleControlAPI", "startEngine", "ignitionMode"): lambda c: "START" if c.rng.random() < 0.85 else "STOP",
}

# Parameters that name something new: never an existing value from the state or an earlier output.
NEW_ONLY = frozenset({
    ("GorillaFileSystem", "touch", "file_name"), ("GorillaFileSystem", "mkdir", "dir_name"),
    ("MessageAPI", "add_contact", "user_name"), ("TravelAPI", "register_credit_card", "card_number"),
})

# Settings a user picks among a few fixed words (a mode, a unit, what to show): an earlier output gives one only from
# a field about the same thing ("auto" of climateMode is no headlight mode).
CHOICES = frozenset({
    ("VehicleControlAPI", "setHeadlights", "mode"), ("VehicleControlAPI", "activateParkingBrake", "mode"),
    ("VehicleControlAPI", "adjustClimateControl", "mode"), ("VehicleControlAPI", "adjustClimateControl", "unit"),
    ("VehicleControlAPI", "displayCarStatus", "option"), ("VehicleControlAPI", "startEngine", "ignitionMode"),
})

# Parameters whose state candidates are only a fallback: the call means to create or type a new value.
PREFER_FRESH = frozenset({
    ("VehicleControlAPI", "lockDoors", "unlock"), ("VehicleControlAPI", "startEngine", "ignitionMode"),
    ("TradingBot", "get_transaction_history", "end_date"), ("VehicleControlAPI", "adjustClimateControl", "unit"),
})


def fresh_rule(owner: str, tool: str, param: str) -> Fresh | None:
    """The class's rule for a fresh ``param`` of ``tool``, or ``None``."""
    return FRESH.get((owner, tool, param)) or FRESH.get((owner, "*", param))


def _traveler_name(part: str) -> Fresh:
    """The logged-in traveller's own name: verification refuses anyone else."""
    def rule(ctx: FreshContext) -> Any:
        own = getattr(ctx.instance, f"user_{part}_name", None)
        return own if own else ctx.rng.choice(ctx.env.candidates(ctx.tool, ctx.param) or list(NAMES))
    return rule


FRESH[("TravelAPI", "verify_traveler_information", "first_name")] = _traveler_name("first")
FRESH[("TravelAPI", "verify_traveler_information", "last_name")] = _traveler_name("last")
PREFER_FRESH = PREFER_FRESH | {
    ("TravelAPI", "verify_traveler_information", "first_name"),
    ("TravelAPI", "verify_traveler_information", "last_name"),
}

# (owner, tool) → two arguments that must not be equal.
DISTINCT: dict[tuple[str, str], tuple[str, str]] = {
    ("GorillaFileSystem", "cp"): ("source", "destination"),
    ("GorillaFileSystem", "mv"): ("source", "destination"),
    ("GorillaFileSystem", "diff"): ("file_name1", "file_name2"),
    ("TradingBot", "get_transaction_history"): ("start_date", "end_date"),
}

# -- argument pairs that must agree ----------------------------------------------------------------------------

# (owner, tool) → (first, second, the tool whose answers decide validity, fixed arguments for that probe).
PAIRS: dict[tuple[str, str], tuple[str, str, str, dict[str, Any]]] = {
    ("TravelAPI", "get_flight_cost"): (
        "travel_from",
        "travel_to",
        "get_flight_cost",
        {"travel_date": "2025-01-01", "travel_class": "economy"},
    ),
    ("TravelAPI", "book_flight"): (
        "travel_from",
        "travel_to",
        "get_flight_cost",
        {"travel_date": "2025-01-01", "travel_class": "economy"},
    ),
    ("VehicleControlAPI", "estimate_distance"): ("cityA", "cityB", "estimate_distance", {}),
    ("MathAPI", "imperial_si_conversion"): ("unit_in", "unit_out", "imperial_si_conversion", {"value": 1.0}),
    ("MathAPI", "si_unit_conversion"): ("unit_in", "unit_out", "si_unit_conversion", {"value": 1.0}),
    ("TravelAPI", "compute_exchange_rate"): (
        "base_currency",
        "target_currency",
        "compute_exchange_rate",
        {"value": 1.0},
    ),
}

# (owner, tool) → the vocabulary a pair's fresh values come from (units), when the state offers none.
POOLS: dict[tuple[str, str], tuple[str, ...]] = {
    ("MathAPI", "si_unit_conversion"): UNITS_SI,
    ("MathAPI", "imperial_si_conversion"): UNITS_IMPERIAL,
}

_PAIR_CACHE: dict[tuple[str, str], tuple[tuple[Any, Any], ...]] = {}


def valid_pairs(owner: str, tool: str, instance: Any,
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
