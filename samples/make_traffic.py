"""Generate GuardStream's demo traffic: ``samples/traffic.jsonl``.

About 600 JSON lines of prompt / response / tool_call events (``schemas.event.Event``) for 3 apps x 2 models
over 30 minutes of event time, with:

* benign texts: our own templated assistant prompts/responses plus neutral rows of permissive data sets;
* toxic / identity-hate texts from permissive data sets at a ~3% base rate;
* a toxicity burst for support-bot / llama-3.1-8b between minutes 18 and 22 (~60% of its responses);
* synthetic PII in ~5% of texts and in some tool-call arguments (generated here, never from a data set);
* 15 malformed lines (bad JSON, schema violations, two oversize records).

The output is deterministic: the same arguments give a byte-identical file. ``--manifest`` writes the answer
key (which event ids are toxic / carry PII, which lines are malformed and why) to a side JSON file; the
traffic file itself carries no answer keys.

Structure (times, series, which slot is toxic / PII / malformed) comes from one RNG and never depends on the
data sets; the rows picked from the data sets come from a second RNG. ``--no-data`` replaces data-set texts
with a placeholder and yields the same manifest, which lets tests check the structure without the data sets.

    .venv/bin/python samples/make_traffic.py --data-dir /work/shared/datasets
"""
from __future__ import annotations

import argparse
import csv
import html
import json
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

APPS = ("support-bot", "code-assistant", "hr-helper")
MODELS = ("gpt-4o-mini", "llama-3.1-8b")
TENANTS = {
    "support-bot": ("acme-retail", "globex-shop"),
    "code-assistant": ("acme-eng", "umbrella-labs"),
    "hr-helper": ("initech",),
}
CHANNELS = ("web", "slack", "api")

DURATION_S = 30 * 60
BURST_APP, BURST_MODEL = "support-bot", "llama-3.1-8b"
BURST_START_S, BURST_END_S = 18 * 60, 22 * 60
BURST_EXTRA_PER_MIN = 10  # extra single-turn conversations per burst minute (traffic also rises)
BURST_TOXIC_SHARE = 0.6
BASELINE_EVENTS = 505  # valid events outside the burst extras
TOXIC_RATE = 0.03
PII_RATE_PROMPT = 0.08
PII_RATE_RESPONSE = 0.04
PII_RATE_TOOL = 0.3
TOOL_RATE = {"support-bot": 0.2, "code-assistant": 0.3, "hr-helper": 0.2}
OVERSIZE_BYTES = 400_000
PLACEHOLDER = "[data-set text withheld: generated with --no-data]"

DATASET_LICENSES = {
    "davidson-hate-offensive": "MIT",
    "toxic-spans": "CC0-1.0",
    "convabuse": "CC-BY-4.0",
    "toxigen-seeds": "MIT (code) / CDLA-Permissive-2.0 (data)",
}


# --------------------------------------------------------------------------------------------- data sets
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?:\bRT\s+)?@\w+:?")
_PII_LIKE = re.compile(r"@|\d{5,}|\d+\.\d+\.\d+\.\d+|\d{3}[- ]\d{3,4}")


def _clean(text: str) -> str | None:
    """Light cleaning: unescape HTML, drop URLs / @handles / RT markers, collapse spaces; drop PII-looking rows."""
    text = html.unescape(text)
    text = _URL.sub("", text)
    text = _HANDLE.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" !:\"'")
    if not 25 <= len(text) <= 320 or _PII_LIKE.search(text):
        return None
    return text


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _dedup(texts: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in texts:
        seen.setdefault(t, None)
    return list(seen)


def load_pools(data_dir: Path) -> dict[str, list[str]]:
    """Text pools keyed ``<dataset>:<role>``; deterministic order (file order, de-duplicated)."""
    pools: dict[str, list[str]] = {}

    dav = _read_csv(data_dir / "davidson-hate-offensive" / "labeled_data.csv")
    neither, offensive, hate = [], [], []
    for row in dav:
        count = int(row["count"])
        text = _clean(row["tweet"])
        if text is None:
            continue
        if row["class"] == "2" and int(row["neither"]) == count:
            neither.append(text)
        elif row["class"] == "1" and int(row["offensive_language"]) == count:
            offensive.append(text)
        elif row["class"] == "0" and 3 * int(row["hate_speech"]) >= 2 * count:
            hate.append(text)
    pools["davidson-hate-offensive:neutral"] = _dedup(neither)
    pools["davidson-hate-offensive:toxic"] = _dedup(offensive + hate)

    spans = []
    for row in _read_csv(data_dir / "toxic-spans" / "comment_type_votes.csv"):
        votes = max(int(row[k]) for k in ("votes_insult", "votes_threat", "votes_identity_attack"))
        if votes >= 2 and row["majority_spans"] not in ("", "[]"):
            text = _clean(row["text"])
            if text is not None:
                spans.append(text)
    pools["toxic-spans:toxic"] = _dedup(spans)

    abusive, benign = [], []
    for row in _read_csv(data_dir / "convabuse" / "ConvAbuseEMNLPtrain.csv"):
        sev = []
        for i in range(1, 9):
            for level in ("1", "0", "-1", "-2", "-3"):
                if row.get(f"Annotator{i}_is_abuse.{level}", "").strip() in ("1", "1.0"):
                    sev.append(int(level))
        if not sev:
            continue
        text = _clean(row["user"])
        if text is None:
            continue
        if all(s == 1 for s in sev) and len(sev) >= 2:
            benign.append(text)
        elif 2 * sum(1 for s in sev if s <= -2) > len(sev):
            abusive.append(text)
    pools["convabuse:neutral"] = _dedup(benign)
    pools["convabuse:toxic"] = _dedup(abusive)

    hate_tg, neutral_tg = [], []
    for row in _read_csv(data_dir / "toxigen-seeds" / "toxigen_seed_sentences.csv"):
        text = _clean(row["text"])
        if text is not None:
            (hate_tg if row["label"] == "hate" else neutral_tg).append(text[0].upper() + text[1:])
    pools["toxigen-seeds:toxic"] = _dedup(hate_tg)
    pools["toxigen-seeds:neutral"] = _dedup(neutral_tg)
    for key, pool in pools.items():
        if len(pool) < 20:
            raise SystemExit(f"pool {key} has only {len(pool)} usable rows; is --data-dir right?")
    return pools


class TextPicker:
    """Draws data-set rows without repeats, from its own RNG (so structure never depends on the data)."""

    def __init__(self, pools: dict[str, list[str]] | None, seed: int) -> None:
        self.pools = pools
        self.rng = random.Random(f"{seed}-text")
        self.orders: dict[str, list[int]] = {}

    def pick(self, key: str) -> str:
        if self.pools is None:
            return PLACEHOLDER
        order = self.orders.get(key)
        if not order:
            order = list(range(len(self.pools[key])))
            self.rng.shuffle(order)
            self.orders[key] = order
        return self.pools[key][order.pop()]


# --------------------------------------------------------------------------------------------- synthetic PII
FIRST = ("dana", "li", "omar", "sofia", "jonas", "priya", "mateo", "hannah", "kwame", "yuki", "elena", "noah")
LAST = ("kowalski", "nguyen", "haddad", "rossi", "berg", "sharma", "lopez", "schmidt", "mensah", "tanaka")


def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_check(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def iban_valid(iban: str) -> bool:
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


class Pii:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def email(self) -> str:
        r = self.rng
        return f"{r.choice(FIRST)}.{r.choice(LAST)}{r.randint(1, 99)}@{r.choice(('example.com', 'example.org'))}"

    def phone(self) -> str:
        r = self.rng
        kind = r.randrange(4)
        if kind == 0:
            return f"+1 {r.choice(('202', '312', '415', '646'))}-555-01{r.randint(0, 99):02d}"
        if kind == 1:
            return f"({r.choice(('206', '617', '737'))}) 555-01{r.randint(0, 99):02d}"
        if kind == 2:
            return f"+44 20 7946 0{r.randint(0, 999):03d}"
        return f"+44 7700 900{r.randint(0, 999):03d}"

    def card(self) -> str:
        r = self.rng
        brand = r.randrange(3)
        if brand == 0:
            payload = "4" + "".join(str(r.randrange(10)) for _ in range(14))
        elif brand == 1:
            payload = str(r.randint(51, 55)) + "".join(str(r.randrange(10)) for _ in range(13))
        else:
            payload = r.choice(("34", "37")) + "".join(str(r.randrange(10)) for _ in range(12))
        number = payload + luhn_check_digit(payload)
        sep = r.choice(("", " ", "-"))
        if len(number) == 15:
            return sep.join((number[:4], number[4:10], number[10:]))
        return sep.join(number[i:i + 4] for i in range(0, 16, 4))

    def iban(self) -> str:
        r = self.rng
        country = r.choice(("DE", "GB", "NL"))
        if country == "DE":
            bban = "".join(str(r.randrange(10)) for _ in range(18))
        elif country == "GB":
            bban = r.choice(("NWBK", "BARC", "MIDL")) + "".join(str(r.randrange(10)) for _ in range(14))
        else:
            bban = r.choice(("ABNA", "INGB", "RABO")) + "".join(str(r.randrange(10)) for _ in range(10))
        raw = country + iban_check(country, bban) + bban
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if r.random() < 0.5 else raw

    def ssn(self) -> str:
        r = self.rng
        area = r.randint(1, 899)
        while area == 666:
            area = r.randint(1, 899)
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

    def ipv4(self) -> str:
        r = self.rng
        return f"{r.choice(('192.0.2', '198.51.100', '203.0.113', '10.20.30'))}.{r.randint(1, 254)}"

    def ipv6(self) -> str:
        r = self.rng
        return f"2001:db8:{r.randrange(0x10000):x}:{r.randrange(0x10000):x}::{r.randrange(1, 0x10000):x}"

    def make(self, kind: str) -> str:
        return getattr(self, kind)()


PII_TYPES_BY_APP = {
    "support-bot": ("email", "email", "phone", "phone", "card", "card"),
    "code-assistant": ("ipv4", "ipv4", "ipv6", "email"),
    "hr-helper": ("iban", "iban", "ssn", "ssn", "email", "phone"),
}
PII_PROMPTS = {
    "email": ("Please send the receipt to {v} instead of my old address.",
              "Can you change the login email on my account to {v}?",
              "My manager is {v}, please copy them on the confirmation."),
    "phone": ("You can reach me at {v} after 5pm.", "Please call me back on {v}, the chat keeps dropping.",
              "Update my contact number to {v}."),
    "card": ("Please charge the remaining balance to my card {v}.", "My card {v} was declined twice, why?",
             "Refund the order to {v} please."),
    "iban": ("My new bank account is {v}, please use it for the next payroll.",
             "Is {v} the right format for the expense reimbursement form?"),
    "ssn": ("For the W-4 form, my SSN is {v}. What else do you need?",
            "HR asked me to confirm my social security number {v}, is that safe here?"),
    "ipv4": ("Our staging server at {v} refuses connections on port 5432. Any idea?",
             "Why does curl to {v} time out from the CI runner?"),
    "ipv6": ("The health check fails for {v}, can you see why?",
             "How do I allow {v} in the nginx config?"),
}
PII_RESPONSES = {
    "email": ("Done: the contact email on the account is now {v}.", "I've sent the confirmation to {v}."),
    "phone": ("Thanks, an agent will call you back at {v} within one business day.",
              "I've updated your phone number to {v}."),
    "card": ("The refund of the order was issued to the card {v}.", "I've set {v} as your default payment method."),
    "iban": ("I've saved {v} as your payroll account; it applies from next month.",),
    "ssn": ("Thanks, I've recorded SSN {v} on your tax form.",),
    "ipv4": ("Port 5432 on {v} is probably blocked by the security group; allow the runner's range.",),
    "ipv6": ("Add `allow {v};` to the location block and reload nginx.",),
}

# --------------------------------------------------------------------------------------------- benign templates
SLOTS = {
    "item": ("wireless headphones", "standing desk", "coffee grinder", "running shoes", "phone case", "backpack",
             "monitor arm", "yoga mat", "desk lamp", "water bottle"),
    "days": ("2", "3", "5", "7", "10"),
    "plan": ("Basic", "Plus", "Premium", "Family"),
    "order": tuple(f"A{n}" for n in (10233, 10457, 11890, 12034, 12771, 13302, 14018, 14996, 15420, 16088)),
    "lang": ("Python", "TypeScript", "Go", "Rust", "Java", "SQL"),
    "task": ("parse a CSV file", "retry an HTTP request with backoff", "read environment variables",
             "write a unit test for a function", "deduplicate a list while keeping order", "format a date as ISO 8601",
             "stream a large file line by line", "validate a JSON payload"),
    "tool": ("git", "docker", "pytest", "poetry", "kubectl", "make"),
    "leave": ("parental leave", "sick leave", "annual leave", "study leave", "bereavement leave"),
    "benefit": ("dental plan", "gym subsidy", "pension matching", "commuter benefit", "learning budget"),
    "month": ("January", "February", "March", "April", "May"),
}
TEMPLATES = {
    "support-bot": (
        ("Where is my order {order}? It was supposed to arrive yesterday.",
         "Order {order} left our warehouse and is with the courier; the tracking page shows delivery within {days} days."),
        ("How do I return the {item} I bought last week?",
         "You can return the {item} within 30 days: open Orders, choose Return item and print the prepaid label."),
        ("Can I upgrade my subscription to the {plan} plan?",
         "Yes. Go to Account > Subscription and pick {plan}; the price difference is prorated for this month."),
        ("I forgot my password and the reset link expired.",
         "I've sent a new reset link; it stays valid for 30 minutes. Check the spam folder if you don't see it."),
        ("Is the {item} back in stock?", "The {item} is expected back in stock in about {days} days. I can notify you."),
        ("Why was I charged twice for order {order}?",
         "The second charge on order {order} is a temporary authorisation and will drop off within {days} days."),
        ("Do you ship to Canada?", "Yes, we ship to Canada; delivery takes {days} to 10 business days."),
        ("Can I change the delivery address for order {order}?",
         "Order {order} hasn't shipped yet, so you can edit the address under Orders > Details."),
        ("What's your warranty on the {item}?", "The {item} has a two-year limited warranty covering manufacturing defects."),
        ("Cancel my {plan} subscription please.",
         "Your {plan} subscription is set to end at the close of the current billing period. Anything else?"),
    ),
    "code-assistant": (
        ("How do I {task} in {lang}?",
         "Here's a short, idiomatic way to {task} in {lang}; keep the error handling explicit and add a test."),
        ("What does this {tool} error mean: 'permission denied'?",
         "{tool} could not access a file or socket; check the owner and mode, or run it as the right user."),
        ("Write a regex that matches a semantic version like 1.2.3.",
         "Use ^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$ and add an optional pre-release group if needed."),
        ("Explain the difference between a list and a tuple in Python.",
         "Lists are mutable and tuples are immutable; tuples can be dict keys and signal fixed-size records."),
        ("My {tool} command is slow in CI, any tips?",
         "Cache {tool}'s downloads between runs, pin versions, and split the job so the slow step runs in parallel."),
        ("How can I squash my last three commits?",
         "Run git rebase -i HEAD~3, mark the last two commits as squash, then edit the combined message."),
        ("Review this SQL: SELECT * FROM orders WHERE created_at > now() - interval '7 days'",
         "It works; add an index on created_at and select only the columns you need instead of *."),
        ("Why does my {lang} test pass locally but fail in CI?",
         "Usually it's time zones, file ordering or a missing environment variable; print them at the start of the test."),
        ("Suggest a name for a function that normalises user input.",
         "normalize_input or clean_user_input both read well; prefer a verb plus what it acts on."),
    ),
    "hr-helper": (
        ("How many days of {leave} do I get?",
         "Full-time employees get the {leave} allowance described in the handbook, section 4; part-time is pro rata."),
        ("When is payroll paid in {month}?", "Payroll for {month} is paid on the last working day of the month."),
        ("How do I enrol in the {benefit}?",
         "You can enrol in the {benefit} in the benefits portal during the first 30 days or at open enrolment."),
        ("Who approves my expense claim?", "Your line manager approves expense claims, then Finance pays them in the next cycle."),
        ("Can I carry over unused annual leave to next year?",
         "You can carry over up to five days, which must be used by the end of March."),
        ("What do I need for my first day of onboarding?",
         "Bring a photo ID; your laptop and badge will be ready at reception at 9:00."),
        ("Is there a budget for conference travel?",
         "Yes, conference travel comes out of your team's learning budget; ask your manager to approve it first."),
        ("How do I update my home address in the HR system?",
         "Open Profile > Personal details in the HR portal and edit the address; changes apply immediately."),
        ("What's the policy on remote work from another country?",
         "Working abroad for up to 20 days a year is allowed with manager approval; longer stays need an HR review."),
    ),
}

TOOLS: dict[str, tuple[str, ...]] = {
    "support-bot": ("lookup_order", "create_ticket", "refund_payment"),
    "code-assistant": ("search_code", "run_tests", "read_file"),
    "hr-helper": ("get_policy", "submit_leave_request", "update_payroll_details"),
}


def tool_arguments(name: str, rng: random.Random, pii_kind: str | None, pii: Pii,
                   order: str) -> tuple[dict[str, Any], str | None]:
    """Arguments for a tool call; returns (arguments, JSON path of the PII value or None)."""
    if name == "lookup_order":
        args: dict[str, Any] = {"order_id": order, "include": ["items", "shipping"]}
        if pii_kind:
            args["customer"] = {"email": pii.email()}
            return args, "$.customer.email"
    elif name == "create_ticket":
        args = {"subject": f"Delivery question for {order}", "priority": rng.choice(("low", "normal", "high"))}
        if pii_kind:
            args["contact"] = {"name": "customer", "phone": pii.phone(), "preferred": "phone"}
            return args, "$.contact.phone"
    elif name == "refund_payment":
        args = {"order_id": order, "amount": {"value": rng.randint(5, 300) + 0.99, "currency": "USD"}}
        if pii_kind:
            args["payment"] = {"method": "card", "card_number": pii.card()}
            return args, "$.payment.card_number"
    elif name == "search_code":
        args = {"query": rng.choice(("def retry", "class Config", "TODO", "import requests")), "repo": "acme/platform"}
        if pii_kind:
            args["filters"] = {"author_email": pii.email()}
            return args, "$.filters.author_email"
    elif name == "run_tests":
        args = {"path": rng.choice(("tests/unit", "tests/api", "tests/test_parser.py")), "flags": ["-q", "-x"]}
        if pii_kind:
            args["env"] = {"DB_HOST": pii.ipv4(), "DB_PORT": "5432"}
            return args, "$.env.DB_HOST"
    elif name == "read_file":
        args = {"path": rng.choice(("src/app/main.py", "README.md", "pyproject.toml")), "max_lines": 200}
        if pii_kind:
            args["remote"] = {"host": pii.ipv6(), "user": "deploy"}
            return args, "$.remote.host"
    elif name == "get_policy":
        args = {"topic": rng.choice(SLOTS["leave"] + SLOTS["benefit"]), "country": rng.choice(("US", "GB", "DE"))}
        if pii_kind:
            args["requester"] = {"email": pii.email()}
            return args, "$.requester.email"
    elif name == "submit_leave_request":
        args = {"type": rng.choice(SLOTS["leave"]), "days": int(rng.choice(SLOTS["days"]))}
        if pii_kind:
            args["employee"] = {"id": f"E{rng.randint(1000, 9999)}", "ssn": pii.ssn()}
            return args, "$.employee.ssn"
    else:  # update_payroll_details
        args = {"employee_id": f"E{rng.randint(1000, 9999)}", "effective": "2026-02-01"}
        if pii_kind:
            args["bank"] = {"iban": pii.iban(), "holder": "employee"}
            return args, "$.bank.iban"
    return args, None


# --------------------------------------------------------------------------------------------- generation
@dataclass
class Ev:
    t: float
    seq: int
    data: dict[str, Any]  # everything but event_id / @timestamp
    meta: dict[str, Any] = field(default_factory=dict)


class Generator:
    def __init__(self, seed: int, picker: TextPicker) -> None:
        self.rng = random.Random(seed)
        self.pii = Pii(self.rng)
        self.picker = picker
        self.seq = 0
        self.events: list[Ev] = []

    def _fill(self, template: str, slots: dict[str, str]) -> str:
        return template.format(**slots)

    def _slots(self) -> dict[str, str]:
        return {k: self.rng.choice(v) for k, v in SLOTS.items()}

    def _add(self, t: float, data: dict[str, Any], meta: dict[str, Any]) -> Ev:
        self.seq += 1
        ev = Ev(t, self.seq, data, meta)
        self.events.append(ev)
        return ev

    def text_slot(self, app: str, role: str, pair: tuple[str, str], slots: dict[str, str],
                  force_toxic: bool | None = None) -> tuple[str, dict[str, Any]]:
        """Decide what a prompt/response text is (structure RNG), then fill it."""
        r = self.rng
        toxic = (r.random() < TOXIC_RATE) if force_toxic is None else force_toxic
        pii_rate = PII_RATE_PROMPT if role == "prompt" else PII_RATE_RESPONSE
        if toxic:
            if role == "prompt":
                src = r.choice(("convabuse", "davidson-hate-offensive"))
            else:
                src = r.choice(("toxic-spans", "toxic-spans", "toxigen-seeds", "davidson-hate-offensive"))
            return self.picker.pick(f"{src}:toxic"), {"source": src, "toxic": True, "pii": []}
        if r.random() < pii_rate:
            kind = r.choice(PII_TYPES_BY_APP[app])
            tmpl = r.choice((PII_PROMPTS if role == "prompt" else PII_RESPONSES)[kind])
            return tmpl.format(v=self.pii.make(kind)), {"source": "template", "toxic": False,
                                                         "pii": [{"type": kind, "field": "text"}]}
        if role == "prompt" and r.random() < 0.25:
            src = r.choice(("davidson-hate-offensive", "convabuse", "toxigen-seeds"))
            return self.picker.pick(f"{src}:neutral"), {"source": src, "toxic": False, "pii": []}
        return self._fill(pair[0 if role == "prompt" else 1], slots), {"source": "template", "toxic": False, "pii": []}

    def conversation(self, t: float, app: str, model: str, turns: int, *, tools: bool = True,
                     toxic_response: bool | None = None, within: float | None = None) -> None:
        r = self.rng
        base = {
            "kind": None, "app": app, "model": model, "tenant": r.choice(TENANTS[app]),
            "conversation_id": f"conv-{r.getrandbits(40):010x}", "user_id": f"u-{r.getrandbits(24):06x}",
        }
        labels = {"env": "demo", "channel": r.choice(CHANNELS)}
        for _ in range(turns):
            pair = r.choice(TEMPLATES[app])
            slots = self._slots()
            text, meta = self.text_slot(app, "prompt", pair, slots)
            self._add(t, {**base, "kind": "prompt", "text": text, "labels": labels}, meta)
            t_resp = t + r.uniform(1.2, 7.5)
            if tools and r.random() < TOOL_RATE[app]:
                name = r.choice(TOOLS[app])
                pii_kind = "yes" if r.random() < PII_RATE_TOOL else None
                args, path = tool_arguments(name, r, pii_kind, self.pii, slots["order"])
                meta_t = {"source": "template", "toxic": False,
                          "pii": [{"type": _pii_type_of(path), "field": "tool.arguments" + path[1:]}] if path else []}
                self._add(t + r.uniform(0.3, 1.1), {**base, "kind": "tool_call",
                                                      "tool": {"name": name, "arguments": args}, "labels": labels}, meta_t)
            if within is not None:
                t_resp = min(t_resp, within)
            text, meta = self.text_slot(app, "response", pair, slots, force_toxic=toxic_response)
            self._add(t_resp, {**base, "kind": "response", "text": text, "labels": labels}, meta)
            t += r.uniform(25.0, 110.0)

    def build(self) -> list[Ev]:
        r = self.rng
        # Baseline: conversations with uniform start times, until the event budget is reached.
        # Start times follow a jittered golden-ratio sequence over [-LEAD, DURATION) so the rate stays even;
        # events outside [0, DURATION) are dropped.
        lead, phase, k = 150.0, r.random(), 0
        while sum(1 for e in self.events if 0.0 <= e.t < DURATION_S) < BASELINE_EVENTS:
            k += 1
            frac = (phase + k * 0.6180339887498949) % 1.0
            start = -lead + frac * (DURATION_S + lead - 10.0) + r.uniform(-5.0, 5.0)
            self.conversation(start, r.choice(APPS), r.choice(MODELS), r.choice((1, 1, 1, 2, 2, 3, 4)))
        self.events = [e for e in self.events if 0.0 <= e.t < DURATION_S]
        # Burst: extra single-turn conversations for one series, responses kept inside their minute.
        for minute in range(BURST_START_S // 60, BURST_END_S // 60):
            for _ in range(BURST_EXTRA_PER_MIN):
                t0 = minute * 60 + r.uniform(0.0, 50.0)
                self.conversation(t0, BURST_APP, BURST_MODEL, 1, tools=False, toxic_response=False,
                                  within=minute * 60 + 59.5)
        # In the burst window, ~60% of that series' responses (per minute) become toxic.
        for minute in range(BURST_START_S // 60, BURST_END_S // 60):
            resp = [e for e in self.events if e.data["app"] == BURST_APP and e.data["model"] == BURST_MODEL
                    and e.data["kind"] == "response" and minute * 60 <= e.t < minute * 60 + 60]
            resp.sort(key=lambda e: e.seq)
            want = round(BURST_TOXIC_SHARE * len(resp))
            have = [e for e in resp if e.meta["toxic"]]
            for e in r.sample([e for e in resp if not e.meta["toxic"]], max(0, want - len(have))):
                src = r.choice(("toxic-spans", "toxic-spans", "toxigen-seeds", "davidson-hate-offensive"))
                e.data["text"] = self.picker.pick(f"{src}:toxic")
                e.meta = {"source": src, "toxic": True, "pii": [], "burst": True}
        self.events.sort(key=lambda e: (e.t, e.seq))
        return self.events


def _pii_type_of(path: str | None) -> str:
    leaf = (path or "").rsplit(".", 1)[-1]
    return {"email": "email", "author_email": "email", "phone": "phone", "card_number": "card", "DB_HOST": "ipv4",
            "host": "ipv6", "ssn": "ssn", "iban": "iban"}[leaf]


def _ts(start: datetime, t: float) -> str:
    ms = int(round(t * 1000))
    return (start + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _record(eid: str, ts: str, data: dict[str, Any]) -> dict[str, Any]:
    out = {"event_id": eid, "@timestamp": ts}
    out.update({k: v for k, v in data.items() if v is not None})
    return out


def _big_text(header: str) -> str:
    lines = [header]
    n = 0
    size = len(header)
    while size < OVERSIZE_BYTES:
        n += 1
        line = f"[build] step {n:05d}/99999 compiling src/module_{n % 977:03d}.py ... ok ({n % 53 + 7} ms)"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


# Malformed lines: (name, expected dead-letter reason, why). The builder below makes each one.
MALFORMED = (
    ("truncated_object", "malformed_json", "JSON object cut off mid-string (contains a planted email)"),
    ("missing_kind", "schema_violation", "no `kind` field"),
    ("bare_string", "malformed_json", "a bare JSON string, not an object"),
    ("kind_banana", "schema_violation", "`kind` is \"banana\""),
    ("oversize_prompt", "oversize", "valid event whose text is ~400 KB (over the 256 KiB record cap)"),
    ("text_number", "schema_violation", "`text` is a number"),
    ("trailing_garbage", "malformed_json", "a valid object followed by trailing garbage"),
    ("unknown_field", "schema_violation", "unknown top-level field `sentiment`"),
    ("empty_event_id", "schema_violation", "`event_id` is an empty string"),
    ("json_array", "malformed_json", "a JSON array, not an object"),
    ("tool_call_without_tool", "schema_violation", "`kind` tool_call without `tool`"),
    ("missing_app", "schema_violation", "no `app` field"),
    ("oversize_response", "oversize", "valid event whose text is ~400 KB (over the 256 KiB record cap)"),
    ("tool_args_number", "schema_violation", "`tool.arguments` is a number (must be an object or a string)"),
    ("bad_event_id", "schema_violation", "`event_id` contains a space (fails the id pattern)"),
)


def malformed_line(name: str, eid: str, ts: str, rng: random.Random, pii: Pii) -> tuple[str, list[dict[str, str]]]:
    app, model = rng.choice(APPS), rng.choice(MODELS)
    base = {"event_id": eid, "@timestamp": ts, "kind": "prompt", "app": app, "model": model,
            "conversation_id": f"conv-{rng.getrandbits(40):010x}", "user_id": f"u-{rng.getrandbits(24):06x}",
            "text": "Can you summarise the meeting notes from this morning?"}
    planted: list[dict[str, str]] = []
    if name == "truncated_object":
        email = pii.email()
        planted = [{"type": "email", "field": "raw"}]
        full = _dump({**base, "text": f"Please update my contact email to {email} and resend the invoice for order A10457"})
        return full[: full.index(" and resend") + 11], planted
    if name == "bare_string":
        return _dump("hello, is anyone there?"), planted
    if name == "trailing_garbage":
        return _dump(base) + " }}garbage", planted
    if name == "json_array":
        return _dump([base]), planted
    obj = dict(base)
    if name == "missing_kind":
        del obj["kind"]
    elif name == "kind_banana":
        obj["kind"] = "banana"
    elif name == "text_number":
        obj["text"] = 42
    elif name == "unknown_field":
        obj["sentiment"] = "positive"
    elif name == "empty_event_id":
        obj["event_id"] = ""
    elif name == "tool_call_without_tool":
        obj["kind"] = "tool_call"
        del obj["text"]
    elif name == "missing_app":
        del obj["app"]
    elif name == "tool_args_number":
        obj["kind"] = "tool_call"
        del obj["text"]
        obj["tool"] = {"name": "run_tests", "arguments": 42}
    elif name == "bad_event_id":
        obj["event_id"] = eid.replace("-", " ")
    elif name == "oversize_prompt":
        obj.update(app="code-assistant", text=_big_text("Here is the full build log, why does the last step hang?"))
    elif name == "oversize_response":
        obj.update(kind="response", app="code-assistant", text=_big_text("Sure, here is the complete log again:"))
    else:
        raise ValueError(name)
    return _dump(obj), planted


def generate(seed: int, start: datetime, pools: dict[str, list[str]] | None) -> tuple[list[str], dict[str, Any]]:
    picker = TextPicker(pools, seed)
    gen = Generator(seed, picker)
    events = gen.build()
    rng = gen.rng
    # Spread the malformed lines evenly (with jitter) over the valid events.
    n_valid, n_bad = len(events), len(MALFORMED)
    slots = sorted({int((i + 0.5) * n_valid / n_bad) + rng.randint(-8, 8) for i in range(n_bad)})
    assert len(slots) == n_bad
    lines: list[str] = []
    manifest: dict[str, Any] = {"seed": seed, "start": _ts(start, 0), "duration_s": DURATION_S,
                                "burst": {"app": BURST_APP, "model": BURST_MODEL,
                                          "start": _ts(start, BURST_START_S), "end": _ts(start, BURST_END_S)},
                                "events": [], "malformed": []}
    bad_iter = iter(MALFORMED)
    last_ts = _ts(start, 0)
    for i, ev in enumerate(events):
        while slots and slots[0] == i:
            slots.pop(0)
            name, reason, why = next(bad_iter)
            eid = f"evt-{len(lines) + 1:06d}"
            text, planted = malformed_line(name, eid, last_ts, rng, gen.pii)
            lines.append(text)
            manifest["malformed"].append({"line": len(lines), "event_id": eid, "case": name, "reason": reason,
                                          "why": why, "pii": planted})
        eid = f"evt-{len(lines) + 1:06d}"
        last_ts = _ts(start, ev.t)
        lines.append(_dump(_record(eid, last_ts, ev.data)))
        manifest["events"].append({"line": len(lines), "event_id": eid, "kind": ev.data["kind"], "app": ev.data["app"],
                                   "model": ev.data["model"], "@timestamp": last_ts, **ev.meta})
    for name, reason, why in bad_iter:  # slots past the end (not expected)
        eid = f"evt-{len(lines) + 1:06d}"
        text, planted = malformed_line(name, eid, last_ts, rng, gen.pii)
        lines.append(text)
        manifest["malformed"].append({"line": len(lines), "event_id": eid, "case": name, "reason": reason,
                                      "why": why, "pii": planted})
    counts: dict[str, int] = {}
    for e in manifest["events"]:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    manifest["counts"] = {"lines": len(lines), "valid": len(manifest["events"]), "malformed": len(manifest["malformed"]),
                          **{f"kind_{k}": v for k, v in sorted(counts.items())},
                          "toxic": sum(e["toxic"] for e in manifest["events"]),
                          "toxic_burst": sum(bool(e.get("burst")) for e in manifest["events"]),
                          "pii_events": sum(bool(e["pii"]) for e in manifest["events"])}
    return lines, manifest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, help="the shared datasets folder (with davidson-hate-offensive/ ...)")
    p.add_argument("--no-data", action="store_true",
                   help="replace data-set texts with a placeholder (same structure and manifest; for tests)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "traffic.jsonl")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", default="2026-01-05T09:00:00Z", help="event time of minute 0 (RFC 3339, UTC)")
    p.add_argument("--manifest", type=Path, help="also write the answer key (toxic / PII / malformed) as JSON here")
    args = p.parse_args(argv)
    if args.no_data == (args.data_dir is not None):
        p.error("give exactly one of --data-dir or --no-data")
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    start = (start if start.tzinfo else start.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    pools = None if args.no_data else load_pools(args.data_dir)
    lines, manifest = generate(args.seed, start, pools)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    if args.manifest:
        args.manifest.parent.mkdir(parents=True, exist_ok=True)
        args.manifest.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(lines)} lines, {args.out.stat().st_size} bytes): {manifest['counts']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
