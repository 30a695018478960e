"""Generated initial states: they load, are deterministic and diverse, feed candidate values, and are our own."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from fr_core.envs.bfcl import BFCL_CLASSES, make_bfcl_env
from fr_core.envs.bfcl.states import SIZES, STATE_CLASSES, generate_initial_config, generate_state
from fr_core.errors import ConfigError
from fr_core.types import ToolCall

SEEDS = range(100)
STATEFUL = [c for c in STATE_CLASSES if c != "MathAPI"]


def _env(cls: str, seed: int, size: str = "medium"):
    return make_bfcl_env(cls, {cls: generate_state(cls, seed, size)})


def _ok(env, tool: str, /, **arguments):
    result = env.execute(ToolCall(tool, arguments))
    assert result.error is None, f"{tool}({arguments}) failed: {result.error}"
    return result.value


def _first(env, tool: str, param: str):
    values = env.candidates(tool, param)
    assert values, f"no candidates for {tool}.{param}"
    return values[0]


# -- loading, determinism, diversity ------------------------------------------------------------------------------


def test_every_bfcl_class_has_a_generator():
    assert set(STATE_CLASSES) == set(BFCL_CLASSES)


@pytest.mark.parametrize("cls", STATE_CLASSES)
def test_hundred_states_load_and_are_json(cls):
    for seed in SEEDS:
        env = _env(cls, seed)
        json.dumps(env.state())


@pytest.mark.parametrize("cls", STATE_CLASSES)
def test_same_seed_same_state_and_seeds_differ(cls):
    assert generate_state(cls, 5) == generate_state(cls, 5)
    if cls == "MathAPI":
        assert generate_state(cls, 5) == {}
        return
    distinct = {json.dumps(generate_state(cls, seed), sort_keys=True) for seed in SEEDS}
    assert len(distinct) >= 80, f"{cls}: only {len(distinct)} distinct states of {len(SEEDS)}"


@pytest.mark.parametrize("cls", STATEFUL)
def test_sizes_scale_the_state(cls):
    lengths = {size: sum(len(json.dumps(generate_state(cls, s, size))) for s in range(20)) for size in SIZES}
    if cls == "VehicleControlAPI":  # a car has a fixed set of gauges
        assert lengths["small"] > 0
    else:
        assert lengths["small"] < lengths["medium"] < lengths["large"]
    for size in SIZES:
        make_bfcl_env(cls, {cls: generate_state(cls, 1, size)})


def test_initial_config_shares_one_persona():
    classes = ["MessageAPI", "TravelAPI", "TicketAPI", "TwitterAPI", "GorillaFileSystem"]
    for seed in range(10):
        config = generate_initial_config(classes, seed=seed)
        assert list(config) == classes
        handle = config["TwitterAPI"]["username"]
        tickets = config["TicketAPI"]["ticket_queue"]
        assert config["TicketAPI"]["current_user"] in (None, handle)
        assert handle in {t["created_by"] for t in tickets}
        last_names = {c["cardholder_name"].split(" ")[-1] for c in config["TravelAPI"]["credit_card_list"].values()}
        assert len(last_names) == 1
        first = config["TravelAPI"]["user_first_name"]
        assert first is None or first in config["MessageAPI"]["user_map"]
        make_bfcl_env(classes, config)


def test_bad_class_size_or_seed_is_a_config_error():
    with pytest.raises(ConfigError, match="valid classes: GorillaFileSystem"):
        generate_state("Spreadsheet", 0)
    with pytest.raises(ConfigError, match="valid sizes: small, medium, large"):
        generate_state("TicketAPI", 0, size="huge")
    with pytest.raises(ConfigError, match="must be an int"):
        generate_state("TicketAPI", "7")  # type: ignore[arg-type]


# -- typical calls with candidate values ---------------------------------------------------------------------------


def test_filesystem_calls_on_candidates():
    for seed in range(30):
        env = _env("GorillaFileSystem", seed)
        for _ in range(4):  # walk down until a folder has files
            if env.candidates("cat", "file_name"):
                break
            folders = [f for f in env.candidates("cd", "folder") if f != ".."]
            if not folders:
                break
            _ok(env, "cd", folder=folders[0])
        files = env.candidates("cat", "file_name")
        if not files:
            continue
        content = _ok(env, "cat", file_name=files[0])["file_content"]
        assert "\n" in content
        assert _ok(env, "wc", file_name=files[-1], mode="l")["count"] >= 1
        _ok(env, "tail", file_name=files[0], lines=2)
        assert files[0] in env.candidates("find", "name")
        _ok(env, "find", path=".", name=files[0])
        if len(files) > 1:
            _ok(env, "diff", file_name1=files[0], file_name2=files[1])
        cwd = env.instance("GorillaFileSystem")._current_dir
        dests = [d for d in env.candidates("cp", "destination") if files[0] not in cwd.contents[d].contents]
        if dests:
            _ok(env, "cp", source=files[0], destination=dests[0])
        for empty in env.candidates("rmdir", "dir_name"):
            _ok(env, "rmdir", dir_name=empty)
        _ok(env, "rm", file_name=files[0])
        assert files[0] not in env.candidates("cat", "file_name")


def test_filesystem_candidates_follow_the_cwd():
    env = _env("GorillaFileSystem", 3, "large")
    top = env.candidates("cd", "folder")
    assert ".." not in top and top == sorted(top)
    _ok(env, "cd", folder=top[0])
    assert ".." in env.candidates("cd", "folder")
    assert env.candidates("touch", "file_name") == [] and env.candidates("mkdir", "dir_name") == []


def test_message_calls_on_candidates():
    for seed in range(20):
        env = _env("MessageAPI", seed)
        user = _first(env, "get_user_id", "user")
        uid = _ok(env, "get_user_id", user=user)["user_id"]
        assert uid in env.candidates("message_login", "user_id")
        _ok(env, "message_login", user_id=uid)
        receiver = env.candidates("send_message", "receiver_id")[-1]
        assert _ok(env, "send_message", receiver_id=receiver, message="see you at noon")["sent_status"] is True
        _ok(env, "delete_message", receiver_id=_first(env, "delete_message", "receiver_id"))
        keyword = _first(env, "search_messages", "keyword")
        assert _ok(env, "search_messages", keyword=keyword)["results"]
        new = _ok(env, "add_contact", user_name="Zephyrine Quillfeather")["user_id"]
        assert new in env.candidates("send_message", "receiver_id")


def test_twitter_calls_on_candidates():
    for seed in range(20):
        env = _env("TwitterAPI", seed)
        username = _first(env, "authenticate_twitter", "username")
        password = _first(env, "authenticate_twitter", "password")
        assert _ok(env, "authenticate_twitter", username=username, password=password)["authentication_status"]
        tweet_id = _first(env, "get_tweet", "tweet_id")
        assert isinstance(tweet_id, int)
        assert _ok(env, "get_tweet", tweet_id=tweet_id)["id"] == tweet_id
        _ok(env, "comment", tweet_id=tweet_id, comment_content="nice")
        assert _ok(env, "get_tweet_comments", tweet_id=tweet_id)[-1]["content"] == "nice"
        _ok(env, "retweet", tweet_id=env.candidates("retweet", "tweet_id")[-1])
        assert _ok(env, "unfollow_user", username_to_unfollow=_first(env, "unfollow_user", "username_to_unfollow"))[
            "unfollow_status"
        ]
        to_follow = env.candidates("follow_user", "username_to_follow")
        if to_follow:
            assert _ok(env, "follow_user", username_to_follow=to_follow[0])["follow_status"]
        _ok(env, "mention", tweet_id=tweet_id, mentioned_usernames=_first(env, "mention", "mentioned_usernames"))
        assert _ok(env, "get_user_tweets", username=username) is not None
        keyword = _first(env, "search_tweets", "keyword")
        assert _ok(env, "search_tweets", keyword=keyword)


def test_ticket_calls_on_candidates():
    for seed in range(20):
        env = _env("TicketAPI", seed)
        ticket_id = _first(env, "get_ticket", "ticket_id")
        assert isinstance(ticket_id, int)
        assert _ok(env, "get_ticket", ticket_id=ticket_id)["id"] == ticket_id
        _ok(env, "edit_ticket", ticket_id=ticket_id, updates={"priority": 3})
        closable = env.candidates("close_ticket", "ticket_id")
        if closable:
            _ok(env, "close_ticket", ticket_id=closable[0])
            assert closable[0] not in env.candidates("close_ticket", "ticket_id")
        _ok(env, "resolve_ticket", ticket_id=_first(env, "resolve_ticket", "ticket_id"), resolution="done")
        _ok(env, "ticket_login", username=_first(env, "ticket_login", "username"), password="pw")
        created = _ok(env, "create_ticket", title="Scanner jams", priority=2)
        assert created["id"] in env.candidates("get_ticket", "ticket_id")
        assert _ok(env, "get_user_tickets", status=_first(env, "get_user_tickets", "status")) is not None


def test_trading_calls_on_candidates():
    for seed in range(20):
        env = _env("TradingBot", seed)
        order_id = _first(env, "get_order_details", "order_id")
        assert isinstance(order_id, int)
        assert _ok(env, "get_order_details", order_id=order_id)["id"] == order_id
        for cancellable in env.candidates("cancel_order", "order_id"):
            assert _ok(env, "cancel_order", order_id=cancellable)["status"] == "Cancelled"
        symbol = _first(env, "get_stock_info", "symbol")
        price = _ok(env, "get_stock_info", symbol=symbol)["price"]
        name = _first(env, "get_symbol_by_name", "name")
        assert _ok(env, "get_symbol_by_name", name=name)["symbol"] in env.candidates("get_stock_info", "symbol")
        _ok(env, "trading_login", username="me", password="pw")
        _ok(env, "fund_account", amount=price * 3)
        placed = _ok(env, "place_order", order_type="Buy", symbol=symbol, price=price, amount=1)
        assert placed["order_id"] in env.candidates("get_order_details", "order_id")
        stock = env.candidates("add_to_watchlist", "stock")
        if stock:
            _ok(env, "add_to_watchlist", stock=stock[0])
        _ok(env, "remove_stock_from_watchlist", symbol=_first(env, "remove_stock_from_watchlist", "symbol"))
        stocks = _first(env, "filter_stocks_by_price", "stocks")
        found = _ok(env, "filter_stocks_by_price", stocks=stocks, min_price=0, max_price=10**6)
        assert found["filtered_stocks"] == stocks


def test_travel_calls_on_candidates():
    for seed in range(20):
        env = _env("TravelAPI", seed)
        if not env.candidates("get_booking_history", "access_token"):
            token = _ok(
                env,
                "authenticate_travel",
                client_id="cid",
                client_secret="secret",
                refresh_token="rt",
                grant_type=_first(env, "authenticate_travel", "grant_type"),
                user_first_name="Ottoline",
                user_last_name="Brackwater",
            )["access_token"]
            assert env.candidates("get_booking_history", "access_token") == [token]
        token = _first(env, "get_booking_history", "access_token")
        history = _ok(env, "get_booking_history", access_token=token)["booking_history"]
        assert sorted(history) == env.candidates("cancel_booking", "booking_id")
        card = _first(env, "get_credit_card_balance", "card_id")
        assert isinstance(card, str)
        _ok(env, "get_credit_card_balance", access_token=token, card_id=card)
        for booking in env.candidates("retrieve_invoice", "booking_id"):
            _ok(env, "retrieve_invoice", access_token=token, booking_id=booking)
        bookings = env.candidates("cancel_booking", "booking_id")
        if bookings:
            assert _ok(env, "cancel_booking", access_token=token, booking_id=bookings[0])["cancel_status"]
            assert bookings[0] not in env.candidates("cancel_booking", "booking_id")
        airports = env.candidates("book_flight", "travel_from")
        assert "SFO" in airports and "LAX" in env.candidates("book_flight", "travel_to")
        _ok(env, "get_flight_cost", travel_from="SFO", travel_to="LAX", travel_date="2025-03-04",
            travel_class="economy")
        code = _ok(env, "get_nearest_airport_by_city", location=_first(env, "get_nearest_airport_by_city", "location"))
        assert code["nearest_airport"] in airports


def test_travel_states_offer_bookable_cards():
    booked = 0
    for seed in range(20):
        env = _env("TravelAPI", seed)
        token = env.candidates("book_flight", "access_token")
        if not token:
            continue
        for card in env.candidates("book_flight", "card_id"):
            result = env.execute(ToolCall("book_flight", {
                "access_token": token[0], "card_id": card, "travel_date": "2025-05-06",
                "travel_from": "SFO", "travel_to": "LAX", "travel_class": "economy",
            }))
            booked += result.error is None
    assert booked >= 5


def test_vehicle_calls_on_candidates():
    for seed in range(20):
        env = _env("VehicleControlAPI", seed)
        for option in env.candidates("displayCarStatus", "option"):
            assert "error" not in _ok(env, "displayCarStatus", option=option)
        all_doors = _first(env, "lockDoors", "door")
        assert _ok(env, "lockDoors", unlock=False, door=all_doors)["remainingUnlockedDoors"] == 0
        _ok(env, "pressBrakePedal", pedalPosition=1.0)
        assert _ok(env, "startEngine", ignitionMode="START")["engineState"] == "running"
        _ok(env, "setHeadlights", mode=_first(env, "setHeadlights", "mode"))
        _ok(env, "activateParkingBrake", mode=_first(env, "activateParkingBrake", "mode"))
        _ok(env, "check_tire_pressure")
        city = _first(env, "get_zipcode_based_on_city", "city")
        zipcode = _ok(env, "get_zipcode_based_on_city", city=city)["zipcode"]
        assert zipcode != "00000"


def test_candidates_are_sorted_json_and_empty_when_nothing_is_there():
    root = {"r": {"type": "directory", "contents": {}}}
    env = make_bfcl_env("GorillaFileSystem", {"GorillaFileSystem": {"root": root}})
    assert env.candidates("cat", "file_name") == [] and env.candidates("cd", "folder") == []
    env = make_bfcl_env("TicketAPI", {"TicketAPI": {"ticket_queue": []}})
    assert env.candidates("get_ticket", "ticket_id") == []
    assert env.candidates("no_such_tool", "x") == []
    for cls in STATEFUL:
        env = _env(cls, 4, "large")
        for spec in env.tools():
            for param in spec.properties:
                values = env.candidates(spec.name, param)
                json.dumps(values)
                if spec.properties[param].get("type") == "array":
                    assert all(isinstance(v, list) for v in values), (spec.name, param)
                if spec.properties[param].get("type") == "integer":
                    assert all(isinstance(v, int) for v in values), (spec.name, param)
                if spec.properties[param].get("type") == "string":
                    assert all(isinstance(v, str) for v in values), (spec.name, param)
                assert values == env.candidates(spec.name, param)


# -- our states are our own ----------------------------------------------------------------------------------------


def _strings(node, out: set[str]) -> None:
    """String leaves and dict keys of length ≥ 6: names of files, users, contents ..."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and len(key) >= 6:
                out.add(key)
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str) and len(node) >= 6:
        out.add(node)


def test_generated_strings_are_not_taken_from_bfcl_initial_configs():
    """Strings of BFCL's base-category initial_configs hardly ever appear verbatim in our states.

    Structural words the classes themselves define (scenario keys, statuses such as ``unlocked`` or
    ``Completed``, city and airport tables in the methods) are allowed: any string occurring in the class
    source files is left out. What remains are names, file names and contents; we allow under 1 % of our
    distinct strings to coincide by chance with one of BFCL's (a common first name, a word like ``backup``).
    """
    data = resources.files("bfcl_eval") / "data" / "BFCL_v4_multi_turn_base.json"
    theirs: set[str] = set()
    for line in data.read_text(encoding="utf-8").splitlines():
        if line.strip():
            for state in json.loads(line).get("initial_config", {}).values():
                _strings(state, theirs)
    source_dir = resources.files("bfcl_eval") / "eval_checker" / "multi_turn_eval" / "func_source_code"
    source = "\n".join(
        (source_dir / f"{BFCL_CLASSES[c].module}.py").read_text(encoding="utf-8") for c in BFCL_CLASSES
    )
    ours: set[str] = set()
    for seed in SEEDS:
        for state in generate_initial_config(list(STATE_CLASSES), seed).values():
            _strings(state, ours)
    # Message user ids follow the class's own USR{n:03d} scheme (add_contact makes the next one).
    ours = {s for s in ours if f'"{s}"' not in source and f"'{s}'" not in source and not re.fullmatch(r"USR\d{3}", s)}
    shared = sorted(ours & theirs)
    assert len(ours) > 2000
    assert len(shared) < 0.01 * len(ours), shared
