"""Small invented vocabularies for values a call types in (names, phrases, dates), drawn with a caller's seeded rng."""

from __future__ import annotations

import random
import re
from typing import Any

__all__ = ["phrase", "NAMES", "LAST", "FILE_STEMS", "FILE_EXTS", "DIR_NAMES", "TEXT_KINDS", "text_for",
           "new_name", "digits", "date", "money", "number"]

#: Phrase templates per pool: ``(a|b|c)`` is a choice of wording (a group without ``|`` is plain text), so typed-in
#: text varies from one sample to the next.
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "message": (
        "Could you send me the (minutes|slides|spreadsheet|photos) from (Tuesday|the workshop|the offsite) when you "
        "get a sec?",
        "The (caterer|venue|courier|landlord) (called back|confirmed|cancelled), "
        "(let's talk|no action needed|all sorted).",
        "Happy (birthday|anniversary|first day)! (Cake is in the kitchen|Drinks on me later|Enjoy it).",
        "Heads up: the (lift|car park|canteen|wifi) is (closed|out of order|being fixed) (today|until Wednesday).",
        "Can you cover my (shift|desk|calls) on (Saturday|Tuesday|the 3rd)? I owe you one.",
        "Lost my (badge|umbrella|charger|keys) near the (reception|meeting room|bike shed), has anyone seen it?",
        "The client (loved|wants changes to|signed off) the (mock-ups|proposal|estimate|prototype).",
        "Parking is (free|full|closed) (this weekend|after six|during the works).",
        "Could you (water my plants|feed the cat|check the post) while I'm (away|on leave|abroad)?",
        "Quick one: (which|what) (room|time|floor) is the (retro|training|interview) in?",
        "Can we move (tomorrow's sync|the design review|our one-to-one|Friday's demo|the budget call) to "
        "(3pm|Thursday morning|next week|after lunch)?",
        "I put the (quarterly numbers|updated slides|signed contract|survey results|new floor plan) in the shared "
        "folder.",
        "Thanks for the (quick turnaround on the draft|help with the migration|notes from yesterday|detailed review)!",
        "Reminder: the (invoice|expense report|grant application|visa form) is due on (Friday|Monday|the 15th).",
        "Are you free for a (short|quick|ten-minute) call (this afternoon|tomorrow morning|before the standup)?",
        "I pushed the (fix|new tests|config change|docs update), please take a look when you can.",
        "Landing at (6|half past nine|noon), see you at the (station|arrivals hall|hotel).",
        "Please double-check the (totals|dates|addresses|guest list) before we send everything out.",
        "Running (ten|fifteen|twenty) minutes late, (start without me|save me a seat|sorry about that).",
        "Did you get a chance to (read my email|look at the budget|call the supplier|book the room)?",
    ),
    "post": (
        "Finally (repainted the shed|finished the jigsaw|planted the tomatoes|learned to juggle) after (months|years).",
        "Unpopular opinion: (pineapple|mushrooms|olives|coriander) (belong|do not belong) on pizza.",
        "(Volunteered|Spent the day) at the (food bank|animal shelter|community garden) and (loved it|feel great).",
        "Anyone recommend a good (podcast|thriller|board game|hiking trail) for (autumn|a rainy day|long drives)?",
        "My (cat|dog|parrot|toddler) just (learned|figured out) how to open the (fridge|door|cupboard).",
        "Missed the (bus|train|ferry) by (seconds|a minute), classic (Monday|Tuesday).",
        "Proud of the (team|crew|students|volunteers) for (pulling this off|an amazing season|staying so calm).",
        "Just wrapped up a long week of (testing|writing|travelling|interviews), time for "
        "(a coffee|a long walk|pizza).",
        "Three things I learned (shipping our first release|running a half marathon|moving to a new city) this "
        "(month|year).",
        "The (sunrise|fog|light) over the (bay|hills|old town) this morning was unreal.",
        "Reading list for the weekend: (two novels|a biography|a stack of papers) and (a cookbook|some poetry).",
        "Small wins: the (build is finally green again|garden survived the frost|bike is fixed|inbox is at zero).",
        "Trying a new (sourdough|ramen|curry|pancake) recipe today, wish me luck.",
        "Great turnout at the (meetup|book fair|charity run|open day) tonight, thanks everyone!",
        "Hot take: (tabs|standing desks|paper notebooks|early meetings) are (underrated|overrated).",
    ),
    "reply": (
        "Ha, (exactly|so true|been there).", "Where was this taken?", "Following for updates.",
        "Thanks, (sending this to my sister|saving this one|really needed that today).", "Well said.",
        "Not sure I agree, but (fair enough|good thread|interesting).", "Love the (photo|idea|energy)!",
        "Totally agree with this.", "Great point, thanks for sharing!",
        "Could you say more about the (second part|numbers|last point)?", "This made my (day|week).",
        "Bookmarking this for (later|the weekend).", "Interesting take, I see it (differently|a bit differently).",
        "Congrats, well deserved!", "Same here, (every single time|all week).",
    ),
    "title": (
        "(Keyboard|Mouse|Headset|Webcam) stopped working after (update|spill|restart)",
        "Cannot (join|share screen in|record) video calls", "(Wrong|Missing) (payslip|timesheet|holiday balance)",
        "Door badge (rejected|not working) at (side entrance|car park gate)",
        "(Phone|Tablet) will not sync (mail|calendar)",
        "Request for (second monitor|standing desk|new chair|software licence)",
        "(Login page|Payroll portal|Shared calendar|Expense tool) (times out|shows a blank screen|is very slow)",
        "Printer on floor (2|3|4) (offline|jams on every job)", "Refund not received",
        "VPN disconnects (hourly|after sleep|on hotel wifi)", "Cannot export report to (PDF|Excel)",
        "Laptop (battery drains fast|fan is loud|screen flickers)", "Wrong address on (invoice|delivery note)",
        "Flight change request", "Access to (shared drive|finance folder|project board)",
        "Password reset link expired", "Monitor not detected in meeting room (A|B|C)",
    ),
    "description": (
        "It (froze|crashed|logged me out) (twice|three times) during the (presentation|client call|upload).",
        "The error mentions a (timeout|permission|certificate) problem, screenshot in my previous note.",
        "Only happens on the (guest|office|home) network, (never|rarely) elsewhere.",
        "My manager asked me to raise this before the (audit|quarter end|holidays).",
        "Started (yesterday|this morning|last week) after the (update|office move); happens every time I try.",
        "Several people on the (team|second floor|night shift) see the same problem since (Monday|the weekend).",
        "I have attached the steps to reproduce in the first message.",
        "Urgent: blocks the (month-end close|client demo|release).",
        "Not critical, but it is slowing us down.", "It works on my phone but not on my (laptop|desktop).",
    ),
    "resolution": (
        "Updated the (firmware|drivers|browser) and the issue is gone.",
        "Granted the missing (permission|licence|role); user confirmed it works.",
        "Swapped the (laptop|headset|monitor) for a loan unit until the repair is done.",
        "Explained the (workaround|new process|setting) to the user; closing as (advice given|resolved).",
        "Reset the account and confirmed access with the user.",
        "Replaced the faulty (cable|dock|charger); device back online.",
        "Refund issued; it should arrive within (three|five|ten) business days.",
        "Applied the latest patch and restarted the (service|server).",
        "Duplicate of an earlier ticket; closed after merging.",
        "Could not reproduce; asked the user to reopen if it happens again.",
        "Cleared the cache and reinstalled the (client|driver|app).",
    ),
    "file": (
        "Shopping list: (oat milk|lemons|rice|coffee beans), (batteries|bin bags|sponges), (bread|eggs).",
        "Packing list for (Lisbon|the lake|the conference|the campsite): (charger|passport|boots), "
        "(sunscreen|umbrella).",
        "Ideas: (a photo wall|a reading nook|a herb garden|a quiz night) for the (office|flat|club).",
        "Budget (draft|v2|final): rent (1200|950|780), food (300|410|260), travel (120|90|200).",
        "Interview questions: (why this role|biggest mistake|a hard decision), (salary|notice period|start date).",
        "Recipe: (lentil soup|banana bread|pad thai|shakshuka), serves (two|four|six).",
        "Chapter (one|two|three) outline: (the storm|the letter|the crossing), (the reunion|the reveal).",
        "Reading notes on (the survey|the interviews|the pilot data): (sample too small|strong trend|mixed results).",
        "Checklist: (lock windows|unplug heaters|empty the fridge|set the alarm) before leaving.",
        "Quote for the (roof|fence|boiler|kitchen) repair came in at (2400|1850|3100) plus VAT.",
        "(Gym|Running|Swimming) log: (5k|10k|twenty lengths) in (28|54|31) minutes, felt (strong|slow|okay).",
        "(item|task|guest),(status|owner|table)\n(tent|slides|Ana),(packed|Joe|4)\n(stove|budget|Ravi),(missing|Kim|2)\n",
        "Meeting notes: agreed on the (new release date|budget split|hiring plan|office move) and owners.",
        "TODO: (update dependencies|fix the flaky test|write the changelog), (rerun the benchmarks|update the docs), "
        "tag the release.",
        "(total|count|sales),region\n(1200|845|77),north\n(980|1310|64),south\n",
        "Draft intro: this report summarises the results of the (pilot|survey|trial|audit).",
        "error: connection reset by peer (retrying in 5s)",
        "Reminder to self: (back up the photos|renew the domain|call the bank) before (Friday|the trip).",
    ),
    "log": (
        "Dropped the kids at (school|practice|grandma's) on the way",
        "Strange noise from the (rear|front|brakes) at low speed",
        "Charged (phones|the cool box) on the long (stretch|climb)",
        "Took the scenic route past the (lake|vineyards|coast)",
        "Engine check before the (trip|long drive|ferry)", "Tire pressure looked low this (morning|evening)",
        "Cruise control set on (highway|the coast road)", "Refuelled at the station near the (exit|bridge|airport)",
        "Climate set for the (passengers|kids)", "Wipers replaced at the (garage|service stop)",
    ),
    "support": (
        "Can I (change the name on|split the payment for|upgrade) this booking?",
        "My (connection|return leg|hotel transfer) was cancelled, what are my options?",
        "Is there (step-free access|a quiet carriage|vegetarian catering) on this trip?",
        "I need to change the date of my flight, is that possible?", "My card was charged twice for this booking.",
        "Can I add (extra luggage|a second bag|sports equipment|a pet carrier) to this booking?",
        "Please confirm my seat is by the (window|aisle).", "I need a (receipt|VAT invoice) for this booking, please.",
    ),
    "destination": (
        "77 Mill Street, Ashford", "9 Quarry Lane, Dunmore", "210 Lakeshore Drive, Chicago, IL",
        "5 Pier Road, Whitby", "31 Elm Grove, Harrowgate", "600 Congress Ave, Austin, TX",
        "2107 Channing Way, Berkeley, CA", "350 Fifth Avenue, New York, NY", "1 Market St, San Francisco, CA",
        "12 Harbor Road, Rivermist", "48 Oak Lane, Stonebrook",
    ),
    "note": (
        "Renew the (passport|car tax|gym membership|library card) before (March|the holiday|it lapses).",
        "Gift ideas for (Mum|Dad|Sam|the twins): (a scarf|a puzzle|concert tickets|a plant).",
        "Ask the (dentist|vet|mechanic|accountant) about the (bill|checkup|quote|refund).",
        "Plan the (picnic|barbecue|quiz night|book swap): (drinks|games|music|chairs) still needed.",
        "Pick up the (dry cleaning|parcel|prescription) before (six|noon|the weekend).",
        "Ideas for the team offsite: (hiking|sailing|climbing), (cooking class|pottery|escape room), museum.",
        "Call the (landlord|plumber|insurer) about the (heating|leak|window).",
        "Book club: finish chapters (4 to 7|8 to 10|1 to 3) by (Thursday|Sunday).",
    ),
    "word": ("budget", "deadline", "report", "meeting", "total", "error", "draft", "release", "invoice", "team",
             "holiday", "refund", "garden", "recipe", "concert", "rent", "training", "launch", "weather", "travel",
             "birthday", "exam", "ferry", "coffee", "project", "hiring", "roadmap", "rota", "offsite", "warranty"),
}
_CHOICE = re.compile(r"\(([^()]*\|[^()]*)\)")


def phrase(kind: str, rng: random.Random) -> str:
    """A phrase of the pool ``kind``: a template drawn evenly, then a wording of each of its choices (so a template
    with many choices does not crowd out the others)."""
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), rng.choice(_TEMPLATES[kind]))


NAMES = ("Ava", "Benedikt", "Carmen", "Dev", "Elena", "Farid", "Greta", "Hugo", "Ilona", "Jonah", "Kemal", "Lucia",
         "Milo", "Nora", "Otto", "Priya", "Ruben", "Sofia", "Timo", "Yara", "Aiko", "Bram", "Chiara", "Dmitri",
         "Esme", "Femi", "Gustavo", "Hana", "Ivo", "Jasmin", "Kwame", "Leila", "Mateus", "Nikolai", "Olu", "Paloma",
         "Quentin", "Rosalind", "Sven", "Tamsin", "Ugo", "Vesna", "Wren", "Xiadani", "Yusuf", "Zofia")
LAST = ("Baker", "Costa", "Dahl", "Ekwueme", "Fischer", "Garcia", "Horvat", "Ito", "Jensen", "Kowalski", "Lindqvist",
        "Moreau", "Novak", "Okonkwo", "Petrov", "Quispe", "Rossi", "Sato", "Tanaka", "Umarov", "Varga", "Wojcik",
        "Yilmaz", "Zhou", "Abara", "Brennan", "Castillo", "Dubois", "Eriksen", "Fontaine", "Haddad", "Iyer")
FILE_STEMS = ("notes", "summary", "todo", "draft", "report", "budget", "minutes", "plan", "checklist", "ideas",
              "results", "backup", "readme", "agenda", "changelog", "inventory", "roster", "itinerary", "recipes",
              "contacts", "receipts", "timeline", "outline", "glossary", "playlist", "wishlist", "survey", "quotes",
              "expenses", "schedule", "handover", "lesson_plan", "guestlist", "manifest", "memo", "proposal")
FILE_EXTS = ("txt", "md", "csv", "log", "py", "json", "yaml", "tsv", "html", "xml", "ini", "sh", "rst", "tex", "toml",
             "sql", "js", "cfg")
DIR_NAMES = ("archive", "drafts", "reports", "backup", "old", "projects", "shared", "temp", "photos", "invoices",
             "exports", "research", "2024", "q3", "letters", "receipts", "scans", "travel", "recipes", "clients",
             "lectures", "contracts", "slides", "assets", "fieldwork", "bids", "minutes", "tenders", "podcasts",
             "sketches", "grants", "payroll", "snapshots", "press", "datasets", "templates")

# A parameter's name → which phrase pool its free text comes from.
TEXT_KINDS = {
    "message": "message", "content": "post", "comment_content": "reply", "title": "title",
    "description": "description", "resolution": "resolution", "messages": "log", "destination": "destination",
    "body": "note", "text": "note", "note": "note", "pattern": "word", "keyword": "word",
}


def text_for(kind: str | None, rng: random.Random) -> str | None:
    """A phrase of the pool ``kind`` (:func:`phrase`), or ``None`` for no pool."""
    return phrase(kind, rng) if kind in _TEMPLATES else None


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


def money(rng: random.Random, lo: float, hi: float, exact: float = 0.3) -> float | int:
    """An amount of money in ``[lo, hi]`` as a person types it: most of the time a round figure (``500``, ``1250``,
    ``35``), else to the cent (share ``exact``)."""
    value = rng.uniform(lo, hi)
    if rng.random() < exact:
        return round(value, 2)
    step = 1 if value < 20 else 5 if value < 200 else 50 if value < 2000 else 100
    rounded = round(value / step) * step
    return int(rounded) if lo <= rounded <= hi else round(value, 2)


def number(rng: random.Random, lo: int, hi: int, places: int = 1, exact: float = 0.4) -> float | int:
    """A number in ``[lo, hi]`` as a person types it: a whole number, or (share ``exact``) one with ``places``
    decimals; never a whole number written with decimals ("60.0")."""
    if rng.random() < exact:
        value = round(rng.uniform(lo, hi), places)
        return int(value) if value.is_integer() else value
    return rng.randint(lo, hi)
