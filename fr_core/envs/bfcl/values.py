"""Where argument values come from in each BFCL class's state (files in the cwd, user ids, booking ids ...).

``CANDIDATE_FNS[class](instance, tool, param)`` reads the live instance cheaply (no copies) and returns the
values its current state offers for that argument, sorted, as JSON values of the parameter's schema type;
for an array parameter every candidate is itself an array. ``[]`` means the state offers nothing. Each is an
:class:`Offers`, which also tells which tools are offered the same values for a parameter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CANDIDATE_FNS", "Offers"]

# Constants the BFCL classes hard-code inside their methods (class semantics, not data): arguments
# outside these tables make the method fail or answer "not found".
TRADING_NAME_TO_SYMBOL: dict[str, str] = {
    "Apple": "AAPL",
    "Google": "GOOG",
    "Tesla": "TSLA",
    "Microsoft": "MSFT",
    "Nvidia": "NVDA",
    "Zeta Corp": "ZETA",
    "Alpha Tech": "ALPH",
    "Omega Industries": "OMEG",
    "Quasar Ltd.": "QUAS",
    "Neptune Systems": "NEPT",
    "Synex Solutions": "SYNX",
    "Amazon": "AMZN",
    "Gorilla": "GORI",
}
TRADING_SECTORS: dict[str, tuple[str, ...]] = {
    "Technology": ("AAPL", "GOOG", "MSFT", "NVDA"),
    "Automobile": ("TSLA", "F", "GM"),
}
TRAVEL_CITY_TO_AIRPORT: dict[str, str] = {
    "Rivermist": "RMS",
    "Stonebrook": "SBK",
    "Maplecrest": "MPC",
    "Silverpine": "SVP",
    "Shadowridge": "SHD",
    "London": "LHR",
    "Paris": "CDG",
    "Sunset Valley": "SSV",
    "Oakendale": "OKD",
    "Willowbend": "WLB",
    "Crescent Hollow": "CRH",
    "Autumnville": "ATV",
    "Pinehaven": "PHV",
    "Greenfield": "GFD",
    "San Francisco": "SFO",
    "Los Angeles": "LAX",
    "New York": "JFK",
    "Chicago": "ORD",
    "Boston": "BOS",
    "Beijing": "PEK",
    "Hong Kong": "HKG",
    "Rome": "CIA",
    "Tokyo": "HND",
}
TRAVEL_CURRENCIES = ("AUD", "BRL", "CAD", "EUR", "GBP", "INR", "JPY", "MXN", "RMB", "RUB", "USD")
VEHICLE_DOORS = ("driver", "passenger", "rear_left", "rear_right")
VEHICLE_CITY_TO_ZIP: dict[str, str] = {
    "Rivermist": "83214",
    "Stonebrook": "74532",
    "Maplecrest": "56108",
    "Silverpine": "62947",
    "Shadowridge": "71354",
    "Sunset Valley": "83462",
    "Oakendale": "47329",
    "Willowbend": "52013",
    "Crescent Hollow": "69238",
    "Autumnville": "51479",
    "San Francisco": "94016",
}
VEHICLE_DISTANCE_ZIPS = (
    "08540",
    "47329",
    "51479",
    "52013",
    "56108",
    "62947",
    "69238",
    "71354",
    "74532",
    "83214",
    "83462",
    "94016",
    "94704",
)


def _words(texts: list[str], limit: int = 40) -> list[str]:
    """Distinct lower-case words (≥ 4 letters) of some short texts: keywords a search will find."""
    found: set[str] = set()
    for text in texts:
        found.update(_text_words(text))
    return sorted(found)[:limit]


@functools.lru_cache(maxsize=4096)
def _text_words(text: str) -> tuple[str, ...]:
    """The words of one text that :func:`_words` keeps (a text is read again at every state it is in)."""
    words = (raw.strip(".,;:!?()[]{}\"'#@").lower() for raw in text.split())
    return tuple(word for word in words if len(word) >= 4 and word.isalpha())


@dataclass(frozen=True)
class Offers:
    """Where one class's state holds argument values: ``by_param(instance, param)``, alike for every tool that
    takes ``param``, except the ``(tool, param)`` pairs of ``by_tool`` (``rm`` may remove a folder too; ``touch``
    wants a new name). Called as ``offers(instance, tool, param)``."""

    by_param: Callable[[Any, str], list[Any]]
    by_tool: Mapping[tuple[str, str], Callable[[Any], list[Any]]] = field(default_factory=dict)

    def __call__(self, instance: object, tool: str, param: str) -> list[Any]:
        fn = self.by_tool.get((tool, param))
        return fn(instance) if fn is not None else self.by_param(instance, param)

    def key(self, tool: str, param: str) -> tuple[str, ...]:
        """Tools with the same key are offered the same values for ``param`` in every state."""
        return (tool, param) if (tool, param) in self.by_tool else (param,)


# -- GorillaFileSystem ---------------------------------------------------------------------------------------


def _items(cwd: Any) -> tuple[list[str], list[str]]:
    """The files and the folders in the folder ``cwd``, each sorted (one look at each item: a file has no
    ``contents``)."""
    files: list[str] = []
    dirs: list[str] = []
    for n, item in cwd.contents.items():
        (dirs if hasattr(item, "contents") else files).append(n)
    files.sort()
    dirs.sort()
    return files, dirs


def _filesystem(fs: Any, param: str) -> list[Any]:
    cwd = fs._current_dir
    if param == "name":
        return _names_below(cwd)
    if param not in ("file_name", "file_name1", "file_name2", "folder", "source", "destination", "path"):
        return []  # mkdir wants a new dir_name; a mode is wc's alone
    files, dirs = _items(cwd)
    if param == "folder":
        return dirs + ([".."] if cwd.parent is not None else [])
    if param == "source":
        return sorted(files + dirs)
    if param == "destination":
        return dirs
    if param == "path":
        return ["."] + dirs
    return files


def _empty_folders(fs: Any) -> list[str]:
    """What rmdir removes: the empty folders of the cwd."""
    cwd = fs._current_dir
    return [d for d in _items(cwd)[1] if not cwd.contents[d].contents]


def _names_below(cwd: Any) -> list[str]:
    """The names of everything in and below the folder ``cwd`` (what ``find`` may look for), at most about 500."""
    names: set[str] = set()
    stack, seen = [cwd], {id(cwd)}  # ``seen``: a cp/mv of a folder into itself makes the tree cyclic
    while stack and len(names) < 500:
        node = stack.pop()
        for name, item in node.contents.items():
            names.add(name)
            if hasattr(item, "contents") and id(item) not in seen:
                seen.add(id(item))
                stack.append(item)
    return sorted(names)


_FILESYSTEM = Offers(_filesystem, {
    ("wc", "mode"): lambda fs: ["c", "l", "w"],
    ("touch", "file_name"): lambda fs: [],  # touch wants a new name
    ("rm", "file_name"): lambda fs: sorted(sum(_items(fs._current_dir), [])),
    ("rmdir", "dir_name"): _empty_folders,
})


# -- MessageAPI ------------------------------------------------------------------------------------------------


def _message(api: Any, param: str) -> list[Any]:
    if param in ("receiver_id", "user_id"):
        return sorted(api.user_map.values())
    if param == "user":
        return sorted(api.user_map)
    if param == "keyword":
        return _words([text for m in api.inbox for text in m.values()])
    return []  # add_contact wants a new name; message text is free


_MESSAGE = Offers(_message, {
    ("delete_message", "receiver_id"): lambda api: sorted({next(iter(m)) for m in api.inbox if m}),
})


# -- TwitterAPI ------------------------------------------------------------------------------------------------


def _twitter_users(api: Any) -> list[str]:
    users = {api.username, *api.following_list}
    users.update(t.get("username", "") for t in api.tweets.values())
    for comments in api.comments.values():
        users.update(c.get("username", "") for c in comments)
    users.update(m.lstrip("@") for t in api.tweets.values() for m in t.get("mentions", []))
    users.discard("")
    return sorted(users)


def _twitter(api: Any, param: str) -> list[Any]:
    if param == "tweet_id":
        return sorted(api.tweets)
    if param == "username":
        return _twitter_users(api)
    if param == "password":
        return [api.password]
    if param == "username_to_follow":
        following = set(api.following_list)
        return [u for u in _twitter_users(api) if u not in following and u != api.username]
    if param == "username_to_unfollow":
        return sorted(api.following_list)
    if param in ("mentioned_usernames", "mentions"):
        return [[u] for u in _twitter_users(api) if u != api.username]
    tags = sorted({tag for t in api.tweets.values() for tag in t.get("tags", [])})
    if param == "tags":
        return [[tag] for tag in tags]
    if param == "keyword":
        return sorted(set(tags) | set(_words([t.get("content", "") for t in api.tweets.values()])))
    return []


_TWITTER = Offers(_twitter, {("authenticate_twitter", "username"): lambda api: [api.username]})


# -- TicketAPI -------------------------------------------------------------------------------------------------


def _ticket(api: Any, param: str) -> list[Any]:
    queue = api.ticket_queue
    if param == "ticket_id":
        return sorted(t["id"] for t in queue)
    if param == "status":
        return sorted({t["status"] for t in queue if t.get("status")})
    if param == "username":
        return sorted({t["created_by"] for t in queue if t.get("created_by")})
    if param == "priority":
        return [1, 2, 3, 4, 5]
    return []


def _tickets_not(status: str) -> Callable[[Any], list[Any]]:
    """The ids of the tickets whose status is not ``status`` (what closing or resolving can still change)."""
    return lambda api: sorted(t["id"] for t in api.ticket_queue if t.get("status") != status)


_TICKET = Offers(_ticket, {("close_ticket", "ticket_id"): _tickets_not("Closed"),
                           ("resolve_ticket", "ticket_id"): _tickets_not("Resolved")})


# -- TradingBot ------------------------------------------------------------------------------------------------


def _id_order(key: Any) -> tuple[bool, Any]:
    """Order ids are ints in our states but may be strings in loaded ones: sort both without comparing them."""
    return (isinstance(key, str), key)


def _trading(bot: Any, param: str) -> list[Any]:
    if param == "order_id":
        return sorted(bot.orders, key=_id_order)
    symbols = sorted(bot.stocks)
    if param == "symbol":
        return symbols
    if param == "stock":
        watched = set(bot.watch_list)
        return [s for s in symbols if s not in watched]
    if param == "stocks":
        lists = [symbols] if symbols else []
        if bot.watch_list and sorted(bot.watch_list) != symbols:
            lists.append(sorted(bot.watch_list))
        return lists + [[s] for s in symbols]
    if param == "name":
        return sorted(n for n, s in TRADING_NAME_TO_SYMBOL.items() if s in bot.stocks)
    if param == "sector":
        return sorted(TRADING_SECTORS)
    if param == "order_type":
        return ["Buy", "Sell"]
    if param in ("start_date", "end_date"):
        return sorted({t["timestamp"][:10] for t in bot.transaction_history if t.get("timestamp")})
    return []


def _open_orders(bot: Any) -> list[Any]:
    """What cancel_order can cancel: the orders neither completed nor cancelled."""
    return sorted((i for i, o in bot.orders.items()
                   if isinstance(o, dict) and o.get("status") not in ("Completed", "Cancelled")), key=_id_order)


_TRADING = Offers(_trading, {
    ("cancel_order", "order_id"): _open_orders,
    ("remove_stock_from_watchlist", "symbol"): lambda bot: sorted(bot.watch_list),
})


# -- TravelAPI -------------------------------------------------------------------------------------------------


def _travel(api: Any, param: str) -> list[Any]:
    if param == "card_id":
        return sorted(api.credit_card_list)
    if param == "booking_id":
        return sorted(api.booking_record)
    if param == "access_token":
        return [api.access_token] if api.access_token else []
    if param in ("travel_from", "travel_to"):
        return sorted(api.list_all_airports())
    if param == "location":
        return sorted(TRAVEL_CITY_TO_AIRPORT)
    if param == "travel_class":
        return ["business", "economy", "first"]
    if param in ("base_currency", "target_currency"):
        return list(TRAVEL_CURRENCIES)
    if param == "grant_type":
        return ["read", "read_write", "write"]
    holders = [c.get("cardholder_name", "") for c in api.credit_card_list.values()]
    if param in ("first_name", "user_first_name"):
        names = {api.user_first_name, *(h.split(" ")[0] for h in holders)}
        return sorted(n for n in names if n)
    if param in ("last_name", "user_last_name"):
        names = {api.user_last_name, *(h.split(" ")[-1] for h in holders)}
        return sorted(n for n in names if n)
    if param == "cardholder_name":
        return sorted({h for h in holders if h})
    if param == "travel_date":
        return sorted({b["travel_date"] for b in api.booking_record.values() if b.get("travel_date")})
    return []


# -- VehicleControlAPI -----------------------------------------------------------------------------------------


_VEHICLE_CHOICES: dict[tuple[str, str], list[Any]] = {
    ("displayCarStatus", "option"): [
        "battery", "brakePedal", "climate", "doors", "engine", "fuel", "headlights", "parkingBrake",
    ],
    ("setHeadlights", "mode"): ["auto", "off", "on"],
    ("activateParkingBrake", "mode"): ["engage", "release"],
    ("adjustClimateControl", "mode"): ["auto", "cool", "defrost", "heat"],
    ("adjustClimateControl", "unit"): ["celsius", "fahrenheit"],
    ("startEngine", "ignitionMode"): ["START", "STOP"],
    ("get_zipcode_based_on_city", "city"): sorted(VEHICLE_CITY_TO_ZIP),
    ("estimate_distance", "cityA"): list(VEHICLE_DISTANCE_ZIPS),
    ("estimate_distance", "cityB"): list(VEHICLE_DISTANCE_ZIPS),
}


def _vehicle(car: Any, param: str) -> list[Any]:
    if param == "door":
        status = car.doorStatus
        return [sorted(status)] + [[d] for d in sorted(status)]
    if param == "unlock":
        return [False, True]
    return []


def _fixed(words: list[Any]) -> Callable[[Any], list[Any]]:
    """A tool's own fixed choices (modes, units, cities), whatever the state."""
    return lambda car: list(words)


_VEHICLE = Offers(_vehicle, {key: _fixed(words) for key, words in _VEHICLE_CHOICES.items()})


CANDIDATE_FNS: dict[str, Offers] = {
    "GorillaFileSystem": _FILESYSTEM,
    "MessageAPI": _MESSAGE,
    "TwitterAPI": _TWITTER,
    "TicketAPI": _TICKET,
    "TradingBot": _TRADING,
    "TravelAPI": Offers(_travel),
    "VehicleControlAPI": _VEHICLE,
}
