"""Seeded generators of our own initial states for the BFCL classes, in each class's ``_load_scenario`` format.

Every value comes from the vocabularies below and one ``random.Random`` per (class, seed): the same seed gives
the same state on every machine. For one seed all classes share a persona (the user's name and handle).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from fr_core.envs.bfcl.values import TRADING_NAME_TO_SYMBOL, TRADING_SECTORS, VEHICLE_DOORS
from fr_core.errors import ConfigError

__all__ = ["SIZES", "STATE_CLASSES", "generate_state", "generate_initial_config"]

SIZES = ("small", "medium", "large")

# ---------------------------------------------------------------------------------------------------------------
# Vocabularies (invented for this project; none is taken from BFCL's data files)
# ---------------------------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aarav", "Abebe", "Adaeze", "Aiko", "Alejandro", "Amara", "Anouk", "Anselm", "Ariadne", "Arjun",
    "Astrid", "Ayesha", "Bartek", "Beatriz", "Bongani", "Bruno", "Callum", "Camille", "Chidi", "Chiara",
    "Cosima", "Dalia", "Damir", "Dario", "Deepa", "Desmond", "Dmitri", "Ebru", "Eero", "Efua",
    "Elif", "Emeka", "Esperanza", "Fabian", "Farah", "Fenna", "Florin", "Freya", "Gaspard", "Gulnara",
    "Hamid", "Hanne", "Haruto", "Helga", "Hiroshi", "Ilse", "Imani", "Ines", "Ingrid", "Ismail",
    "Jalen", "Jarrah", "Jovana", "Kaito", "Kalinda", "Kasimir", "Keanu", "Kerstin", "Kofi", "Lachlan",
    "Laila", "Leandro", "Linnea", "Lorcan", "Luana", "Mafalda", "Magnus", "Malak", "Marisol", "Matteo",
    "Meera", "Mirela", "Nadia", "Naoki", "Nilufar", "Noor", "Oisin", "Olamide", "Orla", "Osvaldo",
    "Paloma", "Parisa", "Quentin", "Radek", "Rafferty", "Rania", "Rasmus", "Rohan", "Rosalind", "Saanvi",
    "Sabine", "Santiago", "Seren", "Shirin", "Siddharth", "Signe", "Soledad", "Tamsin", "Tariq", "Teodora",
    "Thandiwe", "Tobias", "Ulrike", "Umberto", "Valentina", "Vasilis", "Wanjiru", "Wilhelmina", "Xiomara", "Yannick",
    "Yaretzi", "Yusuf", "Zainab", "Zoltan", "Zuzana", "Idris", "Marguerite", "Oksana", "Percival", "Renata",
)
LAST_NAMES = (
    "Abernathy", "Achterberg", "Adeyemi", "Alvarado", "Amundsen", "Andrade", "Asante", "Bakshi", "Balogun", "Barzani",
    "Beaumont", "Bergstrom", "Bhattacharya", "Blomqvist", "Borowski", "Brannigan", "Castellanos", "Chakraborty", "Cvetkovic", "Dabrowski",
    "Delacroix", "Dimitriou", "Drummond", "Ekwueme", "Esposito", "Falkenrath", "Fitzgerald", "Fonseca", "Gallagher", "Gundersen",
    "Halvorsen", "Hashemi", "Hoffmann", "Ibarra", "Ivanova", "Jankowski", "Jaramillo", "Kagame", "Kapoor", "Karlsson",
    "Kawasaki", "Kowalczyk", "Kuznetsov", "Lindqvist", "Lombardi", "Macharia", "Magnusson", "Mahlangu", "Marchetti", "Matsumoto",
    "Mendoza", "Moncrieff", "Nakagawa", "Nascimento", "Nkemelu", "Novak", "Obradovic", "Okonkwo", "Olufemi", "Ortega",
    "Pacheco", "Papadakis", "Pellegrini", "Petrovic", "Quintero", "Rahimi", "Ramaswamy", "Rautenberg", "Reinholt", "Rosenqvist",
    "Sandoval", "Santangelo", "Sato", "Schreiber", "Sekibo", "Sorensen", "Stavros", "Sundaram", "Szabo", "Takahashi",
    "Tanaka", "Thorsen", "Trujillo", "Uchenna", "Valdivia", "Vasquez", "Verhoeven", "Vukovic", "Wainwright", "Wojcik",
    "Yamamoto", "Yilmaz", "Zaragoza", "Zeller", "Zielinski", "Oyelaran", "Holmberg", "Castellano", "Ferreira", "Lindgren",
)
HANDLE_ADJECTIVES = (
    "amber", "brisk", "cobalt", "crimson", "dapper", "dusty", "eager", "fuzzy", "gentle", "gilded",
    "hazel", "humble", "jolly", "keen", "lucid", "lunar", "mellow", "misty", "nimble", "odd",
    "pastel", "plucky", "quiet", "rustic", "salty", "sleepy", "snowy", "spry", "stormy", "sunlit",
    "tidal", "velvet", "wandering", "wry", "zesty", "copper", "hollow", "mossy", "polar", "rapid",
)
HANDLE_NOUNS = (
    "badger", "beacon", "bramble", "canyon", "comet", "cricket", "dynamo", "ember", "falcon", "fjord",
    "gecko", "glacier", "heron", "kestrel", "lantern", "lynx", "meadow", "marmot", "nebula", "otter",
    "pebble", "pixel", "quokka", "raven", "sparrow", "sprocket", "thistle", "tortoise", "walrus", "willow",
    "yak", "zephyr", "acorn", "barnacle", "cactus", "dingo", "ferret", "harbor", "juniper", "puffin",
)
TOPICS = (
    "budget", "inventory", "roadmap", "sensor", "migration", "harvest", "orchid", "payroll", "telemetry", "survey",
    "recipe", "itinerary", "workshop", "podcast", "garden", "thesis", "benchmark", "firmware", "backlog", "audit",
    "invoice", "sprint", "onboarding", "forecast", "glossary", "warehouse", "fieldwork", "tournament", "rehearsal", "volunteer",
    "renovation", "fleet", "greenhouse", "pottery", "astronomy", "beekeeping", "carpool", "choir", "compost", "drone",
    "exhibit", "fermentation", "hiking", "karaoke", "lighthouse", "marathon", "mural", "observatory", "pantry", "quarry",
    "robotics", "sailing", "solar", "stargazing", "textile", "tram", "vineyard", "weather", "woodshop", "zoning",
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Folder names by theme: a file tree picks one or two themes so its folders belong together.
DIR_THEMES: dict[str, tuple[str, ...]] = {
    "research": ("experiments", "papers", "datasets", "figures", "drafts", "reviews", "lab_notes", "preprints", "raw_data", "analysis"),
    "software": ("src", "scripts", "tests", "configs", "migrations", "tools", "build", "fixtures", "vendor_notes", "benchmarks"),
    "office": ("invoices", "contracts", "minutes", "proposals", "hr_forms", "quarterly", "templates", "correspondence", "expenses", "old_records"),
    "personal": ("recipes", "journal", "travel_plans", "fitness", "reading_list", "taxes", "receipts", "hobbies", "letters", "wishlists"),
    "media": ("photos", "edits", "storyboards", "audio_clips", "transcripts", "thumbnails", "scripts_video", "interviews", "captions", "moodboards"),
    "operations": ("logs", "alerts", "runbooks", "incidents", "capacity", "backups", "inventory", "on_call", "dashboards", "postmortems"),
    "school": ("homework", "lectures", "syllabi", "essays", "lab_reports", "flashcards", "group_project", "exams", "readings", "notes_term"),
}
ROOT_NAMES = ("workbench", "home_dir", "my_projects", "paperwork", "studio", "desk", "shared_drive", "vault", "sandbox", "depot")

WORDS_SUBJECT = (
    "The pilot team", "Our vendor", "The night shift", "The committee", "Marketing", "The field crew", "The new intern",
    "Finance", "The client", "Our lab", "The steering group", "Support", "The design team", "The landlord", "Everyone",
)
WORDS_VERB = (
    "reviewed", "postponed", "approved", "flagged", "measured", "rewrote", "shipped", "audited", "questioned",
    "summarised", "recalibrated", "priced", "scheduled", "merged", "archived",
)
WORDS_OBJECT = (
    "the draft schedule", "last week's figures", "the supplier quote", "the retention numbers", "the floor plan",
    "the sample batch", "the release checklist", "the travel budget", "the survey responses", "the backup policy",
    "the grant proposal", "the seating chart", "the calibration data", "the migration plan", "the packing list",
)
WORDS_TAIL = (
    "before Friday", "after the long weekend", "with a few open questions", "without major changes",
    "pending sign-off", "in two passes", "for the second time", "ahead of the board meeting", "on short notice",
    "with help from facilities", "after a lively debate", "while the server was down",
)
LOG_EVENTS = (
    "connection pool exhausted", "cache warmed in {n} ms", "user session renewed", "retrying upload (attempt {k})",
    "disk usage at {p}%", "scheduled job finished", "checksum mismatch on chunk {n}", "config reloaded",
    "request timed out after {n} ms", "worker {k} started", "queue depth {n}", "certificate expires in {k} days",
    "backup snapshot created", "rate limit hit for client {k}", "index rebuilt",
)
CSV_TABLES: dict[str, tuple[tuple[str, ...], Callable[[random.Random], list[Any]]]] = {
    "expenses": (("date", "category", "amount", "paid_by"), lambda r: [
        f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}", r.choice(("travel", "meals", "software", "hardware", "rent")),
        f"{r.uniform(4, 900):.2f}", r.choice(FIRST_NAMES)]),
    "measurements": (("sample_id", "temperature_c", "ph", "notes"), lambda r: [
        f"S{r.randint(100, 999)}", f"{r.uniform(4, 38):.1f}", f"{r.uniform(5.5, 8.5):.2f}",
        r.choice(("ok", "cloudy", "recheck", "contaminated", "baseline"))]),
    "grades": (("student", "assignment", "score", "late"), lambda r: [
        r.choice(FIRST_NAMES), r.choice(("essay_1", "quiz_3", "lab_2", "midterm", "project")), str(r.randint(48, 100)),
        r.choice(("yes", "no"))]),
    "sales": (("region", "product", "units", "revenue"), lambda r: [
        r.choice(("north", "south", "coastal", "inland", "metro")), r.choice(HANDLE_NOUNS), str(r.randint(1, 400)),
        f"{r.uniform(20, 20000):.2f}"]),
    "stock": (("sku", "item", "on_hand", "reorder_at"), lambda r: [
        f"SKU-{r.randint(1000, 9999)}", f"{r.choice(HANDLE_ADJECTIVES)} {r.choice(HANDLE_NOUNS)}", str(r.randint(0, 250)),
        str(r.randint(5, 50))]),
    "runs": (("run", "duration_s", "status", "commit"), lambda r: [
        str(r.randint(1, 999)), f"{r.uniform(0.4, 600):.1f}", r.choice(("passed", "failed", "flaky", "skipped")),
        "".join(r.choice("0123456789abcdef") for _ in range(7))]),
}
CODE_FUNCS = ("parse_rows", "load_config", "summarise", "clean_names", "retry_request", "compute_totals", "render_table", "sync_folder")
NOTE_ITEMS = (
    "call the {noun} people back", "order more {noun} tags", "book a room for the {topic} review", "renew the {topic} licence",
    "ask {name} about the {topic} numbers", "water the {noun} plants", "fix the flaky {topic} test", "send {name} the {topic} slides",
    "clean out the {topic} folder", "update the {topic} checklist", "pick up {noun} supplies", "confirm {topic} dates with {name}",
)

MESSAGE_TEMPLATES = (
    "Hi {name}, can we move our {topic} sync to {day}?",
    "Reminder: the {topic} report is due {day}.",
    "Thanks for the notes on {topic}, they helped a lot.",
    "Could you send me the latest {topic} spreadsheet?",
    "I left the {noun} keys at the front desk.",
    "Are you joining the {topic} call at {hour}:00?",
    "Quick question about the {topic} invoice when you have a minute.",
    "The {noun} delivery arrived, all {n} boxes.",
    "Please review my changes to the {topic} plan.",
    "Lunch on {day}? I found a new place near the {noun} market.",
    "Heads up: {topic} numbers look off for {month}.",
    "Happy to cover your shift on {day}.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tomorrow", "next week")

TWEET_TEMPLATES = (
    "Just finished a {topic} session and feeling great",
    "Hot take: {topic} is underrated",
    "Anyone else tracking {topic} this {month}?",
    "New blog post about {topic} lessons learned",
    "Spotted a {adj} {noun} on my morning walk",
    "Day {n} of learning about {topic}",
    "Our {topic} meetup hit {n} people tonight",
    "Looking for tips on {topic}, any ideas?",
    "Finally fixed the {topic} bug that haunted me for {n} days",
    "The {adj} weather is perfect for {topic}",
    "Shoutout to everyone who helped with the {topic} drive",
    "Reading list for {month}: all about {topic}",
)

# Support-desk systems and the problems that fit each kind of system.
_SOFTWARE_PROBLEMS = (
    "shows a blank page", "is very slow", "rejects my login", "throws error {code}", "lost my settings", "does not sync",
    "is stuck on loading", "needs a new licence", "crashes on start", "is missing the {month} data",
)
_DEVICE_PROBLEMS = ("keeps disconnecting", "does not power on", "needs a firmware update", "makes a grinding noise", "is beeping nonstop")
TICKET_SYSTEMS: dict[str, tuple[str, ...]] = {
    "VPN": ("keeps disconnecting", "rejects my login", "is very slow", "throws error {code}"),
    "payroll portal": ("reports wrong totals", "rejects my login", "is missing the {month} data", "shows a blank page"),
    "wiki": _SOFTWARE_PROBLEMS, "CI pipeline": ("is stuck on loading", "throws error {code}", "is very slow", "fails on every merge"),
    "email client": _SOFTWARE_PROBLEMS, "expense tool": ("double-charges receipts", "reports wrong totals", "rejects my login"),
    "staging database": ("is very slow", "is missing the {month} data", "throws error {code}", "ran out of disk space"),
    "calendar sync": ("does not sync", "duplicates every meeting", "lost my settings"),
    "booking site": ("double-charges orders", "shows a blank page", "throws error {code}"),
    "analytics dashboard": ("reports wrong totals", "is missing the {month} data", "is stuck on loading"),
    "password manager": ("rejects my login", "does not sync", "needs a new licence"),
    "file share": ("is very slow", "rejects my login", "ran out of disk space"),
    "shared printer": ("is out of toner", "jams on every page", "keeps disconnecting", "prints blank pages"),
    "badge reader": _DEVICE_PROBLEMS, "laptop dock": _DEVICE_PROBLEMS, "conference room display": _DEVICE_PROBLEMS,
    "door sensor": _DEVICE_PROBLEMS, "warehouse scanner": _DEVICE_PROBLEMS, "desk phone": _DEVICE_PROBLEMS,
    "coffee machine": ("leaks water", "is out of beans", "makes a grinding noise", "does not power on"),
}
TICKET_STATUSES = ("Open", "In Progress", "Resolved", "Closed")
RESOLUTIONS = (
    "Restarted the service and confirmed with the user.", "Replaced the faulty cable.", "Reset the account and sent new credentials.",
    "Applied the vendor patch.", "Cleared the cache; issue no longer reproduces.", "Escalated to the vendor, workaround documented.",
)

INVENTED_COMPANIES = (
    ("Brightwater Analytics", "BRWA"), ("Corvid Robotics", "CRVD"), ("Drumlin Energy", "DRML"), ("Emberline Foods", "EMBF"),
    ("Fennec Logistics", "FNCL"), ("Gullwing Aero", "GLWA"), ("Halcyon Biotech", "HLCB"), ("Ironbark Mining", "IRBK"),
    ("Juniper Grid", "JNPG"), ("Kelpie Networks", "KLPN"), ("Lodestar Pharma", "LDSP"), ("Moraine Water", "MRNW"),
    ("Nimbus Textiles", "NMBT"), ("Oriel Optics", "ORLO"), ("Pinnacle Freight", "PNFR"), ("Quillon Security", "QLNS"),
    ("Rookery Games", "RKRY"), ("Saltmarsh Shipping", "SLTM"), ("Tesserae Labs", "TSSR"), ("Umbra Solar", "UMBS"),
)
STREETS = (
    "Larkspur Lane", "Copperfield Road", "Tanager Avenue", "Millrace Street", "Birchwood Court", "Harrow Way",
    "Quayside Drive", "Foxglove Terrace", "Orchard Row", "Kingfisher Close", "Slate Hill Road", "Beacon Street",
)
PLACES = ("Ferndale", "Ashbury", "Glenmoor", "Port Calloway", "Dunmere", "Harwick", "Lindenfield", "Marlow Bay", "Thornby", "Westerhaven")


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------

_CLASS_CODES = {
    "GorillaFileSystem": 1, "MathAPI": 2, "MessageAPI": 3, "TwitterAPI": 4,
    "TicketAPI": 5, "TradingBot": 6, "TravelAPI": 7, "VehicleControlAPI": 8,
}
_PERSONA_CODE = 0


@dataclass(frozen=True)
class _Persona:
    first: str
    last: str
    handle: str


def _rng(seed: int, code: int) -> random.Random:
    """One independent stream per (seed, class): integer-seeded, so the same on every machine."""
    return random.Random(seed * 16 + code)


def _persona(seed: int) -> _Persona:
    r = _rng(seed, _PERSONA_CODE)
    first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
    style = r.randrange(3)
    if style == 0:
        handle = f"{first[0]}{last}".lower()
    elif style == 1:
        handle = f"{first}_{last[:3]}".lower()
    else:
        handle = f"{first.lower()}{r.randint(2, 99)}"
    return _Persona(first, last, handle)


def _handle(r: random.Random) -> str:
    base = f"{r.choice(HANDLE_ADJECTIVES)}_{r.choice(HANDLE_NOUNS)}" if r.random() < 0.5 else f"{r.choice(HANDLE_ADJECTIVES)}{r.choice(HANDLE_NOUNS)}"
    return base + (str(r.randint(1, 999)) if r.random() < 0.5 else "")


def _fill(r: random.Random, template: str, persona: _Persona | None = None) -> str:
    return template.format(
        name=r.choice(FIRST_NAMES) if persona is None or r.random() < 0.7 else persona.first,
        topic=r.choice(TOPICS), noun=r.choice(HANDLE_NOUNS), adj=r.choice(HANDLE_ADJECTIVES), day=r.choice(DAYS),
        month=r.choice(MONTHS).capitalize(), hour=r.randint(8, 17), n=r.randint(2, 60), code=r.randint(400, 599),
    )


def _sentence(r: random.Random) -> str:
    return f"{r.choice(WORDS_SUBJECT)} {r.choice(WORDS_VERB)} {r.choice(WORDS_OBJECT)} {r.choice(WORDS_TAIL)}."


def _count(r: random.Random, size: str, small: tuple[int, int], medium: tuple[int, int], large: tuple[int, int]) -> int:
    lo, hi = {"small": small, "medium": medium, "large": large}[size]
    return r.randint(lo, hi)


def _date(r: random.Random, years: tuple[int, int] = (2023, 2025)) -> str:
    return f"{r.randint(*years)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


# ---------------------------------------------------------------------------------------------------------------
# GorillaFileSystem
# ---------------------------------------------------------------------------------------------------------------


def _file_content(r: random.Random, kind: str, topic: str, stem: str, persona: _Persona) -> str:
    if kind == "report":
        lines = [f"# {stem.replace('_', ' ').capitalize()}", ""]
        for _ in range(r.randint(1, 3)):
            lines.append(f"## {r.choice(('Summary', 'Findings', 'Next steps', 'Risks', 'Background', 'Timeline'))}")
            lines.extend(_sentence(r) for _ in range(r.randint(1, 3)))
            lines.append("")
        lines.append(f"Author: {persona.first} {persona.last}")
        return "\n".join(lines)
    if kind == "log":
        day = _date(r)
        lines = []
        for _ in range(r.randint(3, 9)):
            event = r.choice(LOG_EVENTS).format(n=r.randint(3, 9000), k=r.randint(1, 12), p=r.randint(40, 99))
            level = r.choice(("INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"))
            lines.append(f"{day} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} {level} {event}")
        return "\n".join(lines)
    if kind == "csv":
        header, row = CSV_TABLES[r.choice(sorted(CSV_TABLES))]
        return "\n".join([",".join(header)] + [",".join(map(str, row(r))) for _ in range(r.randint(2, 8))])
    if kind == "code":
        fn = r.choice(CODE_FUNCS)
        return "\n".join([
            f'"""Helpers for the {topic} {r.choice(("pipeline", "report", "tracker", "importer"))}."""',
            "",
            f"def {fn}(items, limit={r.randint(2, 50)}):",
            f"    # {_sentence(r)}",
            "    result = []",
            "    for item in items[:limit]:",
            f"        result.append(str(item).strip().{r.choice(('lower', 'upper', 'title'))}())",
            "    return result",
            "",
            "",
            "if __name__ == '__main__':",
            f"    print({fn}(['{r.choice(HANDLE_NOUNS)}', '{r.choice(HANDLE_NOUNS)}']))",
        ])
    if kind == "shell":
        return "\n".join([
            "#!/bin/sh",
            f"# {stem.replace('_', ' ')}: {topic} files",
            "set -e",
            f"SRC=./{r.choice(DIR_THEMES['operations'])}",
            f'echo "processing {topic} files from $SRC"',
            f'tar -czf {topic}_{r.randint(1, 99)}.tar.gz "$SRC"',
        ])
    if kind == "json":
        return "\n".join([
            "{",
            f'  "name": "{topic}-{r.choice(HANDLE_NOUNS)}",',
            f'  "version": "{r.randint(0, 4)}.{r.randint(0, 20)}.{r.randint(0, 9)}",',
            f'  "owner": "{persona.handle}",',
            f'  "enabled": {r.choice(("true", "false"))},',
            f'  "retries": {r.randint(0, 6)}',
            "}",
        ])
    if kind == "yaml":
        return "\n".join([
            f"service: {topic}",
            f"region: {r.choice(('north', 'south', 'east', 'west', 'central'))}",
            f"replicas: {r.randint(1, 8)}",
            "alerts:",
            f"  email: {persona.handle}@{r.choice(HANDLE_NOUNS)}.example",
            f"  threshold: {r.randint(50, 95)}",
        ])
    if kind == "todo":
        items = [_fill(r, r.choice(NOTE_ITEMS), persona) for _ in range(r.randint(3, 7))]
        return "\n".join(f"- {item}" for item in items)
    if kind == "letter":
        body = [_sentence(r) for _ in range(r.randint(2, 4))]
        return "\n".join([f"Dear {r.choice(FIRST_NAMES)},", "", *body, "", "Best regards,", persona.first])
    return "\n".join(_sentence(r) for _ in range(r.randint(2, 6)))  # prose


# (stem template, extension, content kind); {t} topic, {m} month, {v} version
FILE_STEMS: tuple[tuple[str, str, str], ...] = (
    ("{t}_report", "md", "report"), ("README", "md", "report"), ("{t}_summary", "md", "report"),
    ("{t}_plan_{m}", "md", "report"), ("minutes_{m}", "md", "report"), ("{t}_retro", "md", "report"),
    ("todo", "txt", "todo"), ("{t}_checklist", "txt", "todo"), ("errands_{m}", "txt", "todo"),
    ("letter_{m}", "txt", "letter"), ("reply_to_{t}_team", "txt", "letter"), ("cover_letter", "txt", "letter"),
    ("{t}_notes", "txt", "prose"), ("ideas_{t}", "txt", "prose"), ("{t}_draft_v{v}", "txt", "prose"), ("journal_{m}", "txt", "prose"),
    ("{t}_service", "log", "log"), ("error", "log", "log"), ("access_{m}", "log", "log"), ("{t}_sync", "log", "log"), ("build_{v}", "log", "log"),
    ("{t}_data", "csv", "csv"), ("{t}_{m}", "csv", "csv"), ("export_{v}", "csv", "csv"), ("{t}_totals", "csv", "csv"), ("ledger_{t}", "csv", "csv"),
    ("{t}_utils", "py", "code"), ("clean_{t}", "py", "code"), ("main", "py", "code"), ("import_{t}", "py", "code"), ("report_gen", "py", "code"),
    ("{t}_config", "json", "json"), ("settings", "json", "json"), ("manifest", "json", "json"), ("{t}_meta", "json", "json"),
    ("deploy_{t}", "sh", "shell"), ("backup", "sh", "shell"), ("run_{t}", "sh", "shell"), ("cleanup", "sh", "shell"),
    ("{t}_service", "yaml", "yaml"), ("pipeline", "yaml", "yaml"), ("compose_{t}", "yaml", "yaml"),
)


# The kinds of file each theme's folders mostly hold (a few files of any kind keep trees varied).
THEME_KINDS: dict[str, tuple[str, ...]] = {
    "research": ("csv", "report", "code", "prose", "json"),
    "software": ("code", "shell", "json", "yaml", "log", "report"),
    "office": ("letter", "csv", "report", "todo"),
    "personal": ("todo", "letter", "prose", "csv"),
    "media": ("prose", "csv", "report", "todo"),
    "operations": ("log", "shell", "yaml", "report", "csv"),
    "school": ("prose", "report", "csv", "todo", "code"),
}


def _make_file(r: random.Random, topic: str, theme: str, persona: _Persona) -> tuple[str, str]:
    kinds = THEME_KINDS[theme] if r.random() < 0.8 else tuple(sorted({k for _t, _e, k in FILE_STEMS}))
    template, ext, kind = r.choice([stem for stem in FILE_STEMS if stem[2] in kinds])
    stem = template.format(t=topic, m=r.choice(MONTHS), v=r.randint(1, 9))
    return f"{stem}.{ext}", _file_content(r, kind, topic, stem, persona)


def _gen_filesystem(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    themes = r.sample(sorted(DIR_THEMES), r.randint(1, 2))
    dir_pool = sorted({d for t in themes for d in DIR_THEMES[t]})
    r.shuffle(dir_pool)
    topics = r.sample(TOPICS, 4)
    n_dirs = min(len(dir_pool), _count(r, size, (1, 3), (3, 6), (6, 12)))
    n_files = _count(r, size, (3, 6), (6, 12), (14, 28))

    root: dict[str, Any] = {}
    theme_of = {d: t for t in themes for d in DIR_THEMES[t]}
    # (contents, depth, theme) of every folder; the root's children are at depth 1, the deepest at depth 3.
    folders: list[tuple[dict[str, Any], int, str]] = [(root, 0, themes[0])]
    for name in dir_pool[:n_dirs]:
        contents, depth, _theme = r.choice([f for f in folders if f[1] < 3])
        child: dict[str, Any] = {}
        contents[name] = {"type": "directory", "contents": child}
        folders.append((child, depth + 1, theme_of[name]))
    # Sometimes the last folder stays empty on purpose (something for rmdir).
    targets = folders if len(folders) < 3 or r.random() < 0.6 else folders[:-1]
    for _ in range(n_files):
        contents, _depth, theme = r.choice(targets)
        topic = r.choice(topics)
        for _attempt in range(5):
            name, content = _make_file(r, topic, theme, persona)
            if name not in contents:
                contents[name] = {"type": "file", "content": content}
                break
    if r.random() < 0.25:
        root[".gitignore" if r.random() < 0.5 else ".env.sample"] = {"type": "file", "content": "*.tmp\n__pycache__/\n"}
    root_name = persona.handle if r.random() < 0.5 else r.choice(ROOT_NAMES)
    return {"root": {root_name: {"type": "directory", "contents": root}}}


# ---------------------------------------------------------------------------------------------------------------
# MessageAPI
# ---------------------------------------------------------------------------------------------------------------


def _gen_message(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    n_users = _count(r, size, (3, 4), (4, 7), (9, 15))
    others = [n for n in r.sample(FIRST_NAMES, n_users + 1) if n != persona.first][: n_users - 1]
    names = [persona.first, *others]
    r.shuffle(names)
    ids = [f"USR{i:03d}" for i in range(1, n_users + 1)]
    user_map = dict(zip(names, ids))  # ids stay 1..n so add_contact's next id (USR{n+1}) is free
    inbox = []
    for _ in range(_count(r, size, (1, 3), (2, 6), (6, 14))):
        receiver = r.choice(ids)
        inbox.append({receiver: _fill(r, r.choice(MESSAGE_TEMPLATES), persona)})
    return {
        "random_seed": r.randint(1, 999_999),
        "user_count": n_users,
        "user_map": user_map,
        "inbox": inbox,
        "message_count": len(inbox),
        "current_user": user_map[persona.first] if r.random() < 0.5 else None,
    }


# ---------------------------------------------------------------------------------------------------------------
# TwitterAPI
# ---------------------------------------------------------------------------------------------------------------


def _password(r: random.Random) -> str:
    return f"{r.choice(HANDLE_NOUNS).capitalize()}{r.choice('!#$%&*')}{r.randint(10, 9999)}{r.choice(HANDLE_ADJECTIVES)}"


def _gen_twitter(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    me = persona.handle
    n_others = _count(r, size, (2, 3), (3, 6), (7, 12))
    others: list[str] = []
    while len(others) < n_others:
        h = _handle(r)
        if h != me and h not in others:
            others.append(h)
    first_id = r.choice((0, 0, r.randint(1, 40), r.randint(100, 900)))
    tweets: dict[int, dict[str, Any]] = {}
    for i in range(_count(r, size, (1, 3), (3, 7), (9, 18))):
        tid = first_id + i
        author = me if r.random() < 0.55 else r.choice(others)
        tags = [f"#{t}" for t in r.sample(TOPICS, r.randint(0, 2))]
        pool = [u for u in others if u != author]
        mentions = r.sample(pool, r.randint(0, min(2, len(pool))))
        tweets[tid] = {"id": tid, "username": author, "content": _fill(r, r.choice(TWEET_TEMPLATES)), "tags": tags, "mentions": mentions}
    ids = sorted(tweets)
    # no comments to begin with: BFCL's TwitterAPI reads a state's comment keys as they come from JSON (strings)
    # and looks comments up by int id, so comments in an exported initial state would never be found there
    retweets = {me: sorted(r.sample(ids, r.randint(0, min(2, len(ids)))))} if r.random() < 0.5 else {}
    return {
        "username": me,
        "password": _password(r),
        "authenticated": r.random() < 0.5,
        "tweets": tweets,
        "comments": {},
        "retweets": retweets,
        "following_list": r.sample(others, r.randint(1, len(others))),
        "tweet_counter": (ids[-1] + 1) if ids else first_id,
    }


# ---------------------------------------------------------------------------------------------------------------
# TicketAPI
# ---------------------------------------------------------------------------------------------------------------


def _gen_ticket(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    colleagues = [f"{n.lower()}.{r.choice(LAST_NAMES).lower()}" for n in r.sample(FIRST_NAMES, 3)]
    me = persona.handle
    next_id = r.choice((1, r.randint(2, 50), r.randint(100, 5000)))
    queue: list[dict[str, Any]] = []
    for _ in range(_count(r, size, (2, 3), (3, 7), (8, 16))):
        system = r.choice(sorted(TICKET_SYSTEMS))
        problem = _fill(r, r.choice(TICKET_SYSTEMS[system]))
        status = r.choice(TICKET_STATUSES)
        ticket: dict[str, Any] = {
            "id": next_id,
            "title": f"{system[0].upper()}{system[1:]} {problem}",
            "description": f"The {system} {problem}. {_sentence(r)}",
            "status": status,
            "priority": r.randint(1, 5),
            "created_by": me if not queue or r.random() < 0.6 else r.choice(colleagues),
        }
        if status == "Resolved":
            ticket["resolution"] = r.choice(RESOLUTIONS)
        queue.append(ticket)
        next_id += r.choice((1, 1, 1, 2, 3, 7))
    return {"ticket_queue": queue, "ticket_counter": next_id, "current_user": me if r.random() < 0.5 else None}


# ---------------------------------------------------------------------------------------------------------------
# TradingBot
# ---------------------------------------------------------------------------------------------------------------


def _stock_quote(r: random.Random) -> dict[str, float]:
    price = round(r.uniform(3, 1800), 2)
    drift = lambda spread: round(price * (1 + r.uniform(-spread, spread)), 2)  # noqa: E731
    return {
        "price": price,
        "percent_change": round(r.uniform(-4.5, 4.5), 2),
        "volume": round(r.uniform(0.05, 9.5), 3),
        "MA(5)": drift(0.02),
        "MA(20)": drift(0.05),
    }


def _gen_trading(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    # The class resolves company names and sectors to these symbols, so a state mixes them with invented ones.
    known = sorted(set(TRADING_NAME_TO_SYMBOL.values()) | {s for syms in TRADING_SECTORS.values() for s in syms})
    n_known = _count(r, size, (2, 4), (4, 7), (8, 12))
    n_new = _count(r, size, (1, 2), (2, 4), (5, 9))
    symbols = r.sample(known, n_known) + [sym for _name, sym in r.sample(INVENTED_COMPANIES, n_new)]
    stocks = {sym: _stock_quote(r) for sym in symbols}
    order_id = r.randint(1000, 90000)
    orders: dict[int, dict[str, Any]] = {}
    for _ in range(_count(r, size, (1, 2), (2, 5), (6, 12))):
        sym = r.choice(symbols)
        orders[order_id] = {
            "id": order_id,
            "order_type": r.choice(("Buy", "Sell")),
            "symbol": sym,
            "price": round(stocks[sym]["price"] * r.uniform(0.95, 1.05), 2),
            "amount": r.choice((1, 2, 5, 10, 15, 20, 25, 50, 100)),
            "status": r.choice(("Completed", "Completed", "Pending", "Open", "Cancelled")),
        }
        order_id += r.randint(1, 150)
    history = [
        {
            "type": r.choice(("deposit", "withdrawal")),
            "amount": round(r.uniform(50, 5000), 2),
            "timestamp": f"{_date(r, (2024, 2024))} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
        }
        for _ in range(r.randint(0, {"small": 2, "medium": 4, "large": 8}[size]))
    ]
    history.sort(key=lambda t: t["timestamp"])
    return {
        "random_seed": r.randint(1, 999_999),
        "orders": orders,
        "account_info": {
            "account_id": r.randint(10000, 99999),
            "balance": round(r.uniform(500, 250000), 2),
            "binding_card": r.randint(4000_0000_0000_0000, 5999_9999_9999_9999),
        },
        "authenticated": r.random() < 0.5,
        "market_status": r.choice(("Open", "Closed")),
        "order_counter": order_id,
        "stocks": stocks,
        "watch_list": r.sample(symbols, r.randint(0, min(4, len(symbols)))),
        "transaction_history": history,
    }


# ---------------------------------------------------------------------------------------------------------------
# TravelAPI
# ---------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _travel_probe() -> tuple[Any, tuple[tuple[str, str], ...]]:
    """A private TravelAPI instance and the routes its fare table serves (found by asking it, once)."""
    from fr_core.envs.bfcl.classes import _class_of

    api = _class_of("TravelAPI")()
    api._load_scenario({})
    airports = api.list_all_airports()
    routes = []
    for a in airports:
        for b in airports:
            try:
                api.get_flight_cost(travel_from=a, travel_to=b, travel_date="2024-01-01", travel_class="economy")
            except ValueError:
                continue
            routes.append((a, b))
    return api, tuple(sorted(routes))


def _gen_travel(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    api, routes = _travel_probe()
    holder = f"{persona.first} {persona.last}"
    id_digits = r.choice((4, 6, 12))
    cards: dict[str, dict[str, Any]] = {}
    for _ in range(_count(r, size, (1, 2), (2, 3), (4, 7))):
        card_id = str(r.randint(10 ** (id_digits - 1), 10**id_digits - 1))
        cards[card_id] = {
            "card_number": str(r.choice((4, 5))) + "".join(str(r.randint(0, 9)) for _ in range(15)),
            "expiration_date": f"{r.randint(1, 12):02d}/{r.randint(2025, 2031)}",
            "cardholder_name": holder if r.random() < 0.75 else f"{r.choice(FIRST_NAMES)} {persona.last}",
            "card_verification_number": r.randint(100, 999),
            "balance": round(r.uniform(800, 40000), 2),
        }
    card_ids = sorted(cards)
    bookings: dict[str, dict[str, Any]] = {}
    for _ in range(_count(r, size, (0, 1), (1, 3), (3, 7))):
        frm, to = r.choice(routes)
        date, cls = _date(r, (2024, 2026)), r.choice(("economy", "economy", "business", "first"))
        cost = api.get_flight_cost(travel_from=frm, travel_to=to, travel_date=date, travel_class=cls)["travel_cost_list"][0]
        bookings[str(r.randint(1_000_000, 9_999_999))] = {
            "card_id": r.choice(card_ids),
            "travel_date": date,
            "travel_from": frm,
            "travel_to": to,
            "travel_class": cls,
            "travel_cost": cost,
            "transaction_id": str(r.randint(10_000_000, 99_999_999)),
        }
    logged_in = r.random() < 0.5
    state: dict[str, Any] = {
        "random_seed": r.randint(1, 999_999),
        "credit_card_list": cards,
        "booking_record": bookings,
        "access_token": None,
        "token_type": None,
        "token_expires_in": None,
        "token_scope": None,
        "user_first_name": persona.first if logged_in or r.random() < 0.5 else None,
        "user_last_name": None,
        "budget_limit": round(r.choice((500, 750, 1000, 1500, 2500, 4000)) * 1.0, 2) if r.random() < 0.4 else None,
    }
    if state["user_first_name"]:
        state["user_last_name"] = persona.last
    if logged_in:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        state.update(
            access_token="".join(r.choice(alphabet) for _ in range(r.choice((6, 12, 20)))),
            token_type="Bearer",
            token_expires_in=r.choice((2, 4, 12, 24)),
            token_scope=r.choice(("read_write", "read", "write")),
        )
    return state


# ---------------------------------------------------------------------------------------------------------------
# VehicleControlAPI
# ---------------------------------------------------------------------------------------------------------------


def _gen_vehicle(r: random.Random, size: str, persona: _Persona) -> dict[str, Any]:
    running = r.random() < 0.35
    doors = {d: ("locked" if (running and r.random() < 0.9) or r.random() < 0.4 else "unlocked") for d in VEHICLE_DOORS}
    brake_pressed = not running and r.random() < 0.3
    parked = not running and r.random() < 0.6
    destination = "None"
    if r.random() < 0.5:
        destination = f"{r.randint(1, 999)} {r.choice(STREETS)}, {r.choice(PLACES)}"
    base_pressure = r.uniform(28, 36)
    return {
        "random_seed": r.randint(1, 999_999),
        "fuelLevel": round(r.uniform(0, 50), 1),
        "batteryVoltage": round(r.uniform(11.2, 14.0), 1),
        "engineState": "running" if running else "stopped",
        "remainingUnlockedDoors": sum(s == "unlocked" for s in doors.values()),
        "doorStatus": doors,
        "acTemperature": round(r.uniform(16, 28), 1),
        "fanSpeed": r.randrange(0, 101, 5),
        "acMode": r.choice(("auto", "cool", "heat", "defrost")),
        "humidityLevel": round(r.uniform(20, 80), 1),
        "headLightStatus": r.choice(("on", "off")),
        "parkingBrakeStatus": "engaged" if parked else "released",
        "parkingBrakeForce": 500.0 if parked else 0.0,
        "slopeAngle": round(r.uniform(0, 12), 1) if parked else 0.0,
        "brakePedalStatus": "pressed" if brake_pressed else "released",
        "brakePedalForce": float(r.choice((300, 500, 800, 1000))) if brake_pressed else 0.0,
        "distanceToNextVehicle": round(r.uniform(5, 150), 1),
        "cruiseStatus": "active" if running and r.random() < 0.4 else "inactive",
        "destination": destination,
        "frontLeftTirePressure": round(base_pressure + r.uniform(-2.5, 2.5), 1),
        "frontRightTirePressure": round(base_pressure + r.uniform(-2.5, 2.5), 1),
        "rearLeftTirePressure": round(base_pressure + r.uniform(-3.5, 2.0), 1),
        "rearRightTirePressure": round(base_pressure + r.uniform(-3.5, 2.0), 1),
    }


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------

_GENERATORS: dict[str, Callable[[random.Random, str, _Persona], dict[str, Any]]] = {
    "GorillaFileSystem": _gen_filesystem,
    "MathAPI": lambda r, size, persona: {},  # stateless
    "MessageAPI": _gen_message,
    "TwitterAPI": _gen_twitter,
    "TicketAPI": _gen_ticket,
    "TradingBot": _gen_trading,
    "TravelAPI": _gen_travel,
    "VehicleControlAPI": _gen_vehicle,
}
STATE_CLASSES = tuple(_GENERATORS)


def generate_state(cls: str, seed: int, size: str = "medium") -> dict[str, Any]:
    """A fresh initial state for BFCL class ``cls`` that its ``_load_scenario`` accepts.

    ``size`` (small / medium / large) scales the counts of files, users, tweets, tickets, orders, cards.
    Trading orders are keyed by int ids, as the class looks them up; Twitter starts with no comments (see
    ``_gen_twitter``).

    >>> generate_state("TicketAPI", 3) == generate_state("TicketAPI", 3)
    True
    """
    if cls not in _GENERATORS:
        raise ConfigError(f"no state generator for class '{cls}'; valid classes: {', '.join(STATE_CLASSES)}")
    if size not in SIZES:
        raise ConfigError(f"unknown state size '{size}' for {cls}; valid sizes: {', '.join(SIZES)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed for {cls} must be an int, got {type(seed).__name__} {seed!r}")
    return _GENERATORS[cls](_rng(seed, _CLASS_CODES[cls]), size, _persona(seed))


def generate_initial_config(classes: list[str] | tuple[str, ...], seed: int, size: str = "medium") -> dict[str, dict[str, Any]]:
    """``{class: state}`` for an environment of several classes; one seed gives them one shared persona."""
    return {cls: generate_state(cls, seed, size) for cls in classes}
