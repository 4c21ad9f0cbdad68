#!/usr/bin/env python3
"""Deterministic synthetic news archive for benchmarking sitegen against Hugo and Pelican.

    python bench/generate.py N OUTDIR [--seed 1] [--format sitegen|pelican|hugo|all] [--peers DIR] [--jobs J]

writes N articles (the same titles, dates, slugs and bodies in every format) into

    OUTDIR/sitegen/   content/YYYY/MM/<slug>.md (YAML front matter) + sitegen.yaml
    OUTDIR/pelican/   content/YYYY/<slug>.md (Key: value headers) + the peer config
    OUTDIR/hugo/      content/articles/YYYY/<slug>.md (YAML) + archive stubs + the peer config
    OUTDIR/topics.json  the ground truth for related-article precision (see bench/README.md)

Every article has exactly one topic; articles of a topic share a vocabulary (about a quarter
of their body words) and a tag set. Article i depends only on (seed, i), never on N, and the
output is byte-identical for the same N and seed. Standard library only; importable
(``generate(n, out, seed=1, formats=("sitegen",))``) and runnable as a script.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import time
import traceback
from array import array
from bisect import bisect_left
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

VERSION = 1                          # of the generated content; topics.json records it
FORMATS = ("sitegen", "pelican", "hugo")
DEFAULT_PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
MARKER = ".bench-generated"        # marks a format folder this script made (and may replace)
SITE_TITLE = "News Archive Bench"
BASE_URL = "https://news.example.org/"
BUILD_TIME = "2025-01-01T00:00:00+00:00"
FIRST_DAY = _dt.date(2015, 1, 1).toordinal()
DAYS = _dt.date(2024, 12, 31).toordinal() - FIRST_DAY + 1
MIN_WORDS, MAX_WORDS = 300, 900     # body words, counted as \w+ runs outside link targets
TOPIC_SHARE, SIBLING_SHARE = 0.25, 0.03   # body word shares: own topic, other topics of the section

# (section, topic name, 8 real terms). A topic's tags: its name, its first five terms and two of
# its 32 invented words (made per seed in world()).
TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("World", "diplomacy", ("summit", "envoy", "ambassador", "treaty", "foreign minister", "bilateral talks", "communique", "sanctions")),
    ("World", "armed conflict", ("ceasefire", "frontline", "shelling", "peacekeepers", "truce", "militia", "artillery", "displaced civilians")),
    ("World", "migration", ("asylum seekers", "border crossing", "refugee camp", "deportation", "visa quota", "smugglers", "resettlement", "humanitarian corridor")),
    ("World", "elections abroad", ("ballot count", "opposition leader", "runoff", "polling stations", "turnout", "coalition talks", "electoral commission", "exit poll")),
    ("World", "humanitarian aid", ("aid convoy", "famine", "relief agencies", "food parcels", "field hospital", "donor conference", "cholera", "shelter kits")),
    ("Politics", "parliament", ("bill", "amendment", "committee hearing", "backbenchers", "filibuster", "second reading", "quorum", "speaker")),
    ("Politics", "campaigns", ("campaign trail", "fundraising", "stump speech", "primary", "swing voters", "attack ads", "rally", "running mate")),
    ("Politics", "public budget", ("deficit", "spending cuts", "fiscal rules", "treasury", "budget surplus", "appropriations", "tax credits", "austerity")),
    ("Politics", "courts", ("supreme court", "ruling", "appeal", "judges", "constitutional challenge", "injunction", "plaintiffs", "verdict")),
    ("Politics", "local government", ("city council", "mayor", "zoning", "municipal bonds", "ward", "town hall", "council tax", "planning permission")),
    ("Business", "markets", ("equities", "bond yields", "trading floor", "volatility", "dividend", "benchmark index", "hedge funds", "selloff")),
    ("Business", "banking", ("interest rates", "central bank", "mortgage lending", "deposits", "capital buffers", "loan book", "stress test", "bank regulators")),
    ("Business", "trade", ("tariffs", "exports", "supply chains", "shipping containers", "customs", "trade deficit", "free trade agreement", "freight")),
    ("Business", "oil and gas", ("crude oil", "refinery", "pipeline", "barrels", "natural gas", "drilling", "fuel prices", "oil majors")),
    ("Business", "retail", ("shoppers", "high street", "online retail", "discount chains", "footfall", "holiday sales", "inventory", "consumer spending")),
    ("Technology", "artificial intelligence", ("machine learning", "chatbots", "language models", "neural networks", "training data", "algorithms", "automation", "graphics chips")),
    ("Technology", "cybersecurity", ("ransomware", "data breach", "hackers", "phishing", "encryption", "malware", "vulnerability", "security patch")),
    ("Technology", "smartphones", ("handsets", "app store", "battery life", "foldable screens", "operating system", "camera module", "mobile networks", "handset makers")),
    ("Technology", "social media", ("platforms", "content moderation", "influencers", "followers", "misinformation", "recommendation feeds", "creators", "advertisers")),
    ("Technology", "semiconductors", ("chip fabs", "wafers", "lithography", "foundry", "transistors", "export controls", "silicon", "chip packaging")),
    ("Science", "space", ("rocket launch", "orbit", "lunar lander", "astronauts", "satellite", "telescope", "mission control", "spacecraft")),
    ("Science", "genetics", ("genome", "sequencing", "gene editing", "mutations", "gene therapy", "chromosomes", "heredity", "proteins")),
    ("Science", "physics", ("particle accelerator", "quantum", "collider", "neutrinos", "superconductors", "lasers", "dark matter", "physicists")),
    ("Science", "archaeology", ("excavation", "fossils", "ancient tombs", "artefacts", "dig site", "carbon dating", "ruins", "hominins")),
    ("Science", "marine biology", ("coral reefs", "whales", "plankton", "deep sea", "marine reserve", "sharks", "research vessel", "kelp forests")),
    ("Health", "pandemic", ("vaccine", "infections", "lockdown", "booster", "variants", "hospitalisations", "contact tracing", "masks")),
    ("Health", "hospitals", ("waiting lists", "emergency wards", "nurses", "staffing shortages", "surgeons", "bed occupancy", "ambulances", "clinics")),
    ("Health", "mental health", ("anxiety", "depression", "therapy", "counselling", "wellbeing", "burnout", "helplines", "psychiatrists")),
    ("Health", "nutrition", ("diet", "obesity", "sugar tax", "vitamins", "calories", "processed food", "dietary guidelines", "fasting")),
    ("Health", "medicines", ("clinical trial", "drugmakers", "generics", "prescription prices", "drug approval", "side effects", "dosage", "biotech")),
    ("Climate", "emissions", ("carbon dioxide", "net zero", "greenhouse gases", "emissions targets", "carbon tax", "coal plants", "methane", "climate summit")),
    ("Climate", "renewables", ("wind farms", "solar panels", "battery storage", "grid capacity", "offshore turbines", "hydropower", "heat pumps", "green hydrogen")),
    ("Climate", "extreme weather", ("heatwave", "floods", "drought", "wildfires", "hurricane", "storm surge", "rainfall records", "evacuations")),
    ("Climate", "biodiversity", ("endangered species", "deforestation", "wildlife corridors", "pollinators", "habitat loss", "rewilding", "conservation", "rainforest")),
    ("Climate", "polar regions", ("ice sheets", "glaciers", "permafrost", "sea ice", "arctic", "sea level rise", "meltwater", "polar bears")),
    ("Sport", "football", ("striker", "midfielder", "penalty", "league table", "transfer window", "goalkeeper", "derby", "stoppage time")),
    ("Sport", "tennis", ("grand slam", "serve", "tiebreak", "baseline", "seeded players", "clay court", "backhand", "aces")),
    ("Sport", "athletics", ("sprint", "marathon", "world record", "relay", "hurdles", "personal best", "stadium", "doping tests")),
    ("Sport", "cricket", ("wicket", "batsman", "bowler", "innings", "test match", "boundary", "spinner", "run rate")),
    ("Sport", "motorsport", ("grand prix", "pit stop", "qualifying", "pole position", "constructors", "lap record", "tyres", "podium")),
    ("Culture", "film", ("box office", "director", "premiere", "screenplay", "film festival", "blockbuster", "cinematographer", "streaming release")),
    ("Culture", "music", ("album", "tour", "chart", "concert", "guitarist", "record label", "festival lineup", "single")),
    ("Culture", "books", ("novel", "publisher", "literary prize", "bestseller", "memoir", "book fair", "poetry", "translation")),
    ("Culture", "visual arts", ("gallery", "exhibition", "curator", "sculpture", "auction house", "painting", "museum", "installation")),
    ("Culture", "television", ("drama series", "season finale", "showrunner", "ratings", "broadcaster", "streaming service", "sitcom", "cast")),
    ("Education", "schools", ("teachers", "classrooms", "curriculum", "exam results", "pupils", "headteacher", "school funding", "inspections")),
    ("Education", "universities", ("tuition fees", "campus", "undergraduates", "research grants", "admissions", "student loans", "lecturers", "graduation")),
    ("Education", "early years", ("nursery", "childcare costs", "toddlers", "kindergarten", "playgroups", "early learning", "parents", "preschool")),
    ("Education", "education technology", ("online courses", "laptops", "digital classrooms", "online learning", "tutoring apps", "remote teaching", "coding clubs", "learning platforms")),
    ("Education", "vocational skills", ("apprenticeships", "vocational training", "trade schools", "skills gap", "employers", "internships", "adult learners", "certificates")),
    ("Travel", "aviation", ("airlines", "flight delays", "airport", "passengers", "budget carriers", "runway", "cabin crew", "jet fuel")),
    ("Travel", "tourism", ("hotels", "tourists", "beach resorts", "holiday bookings", "overtourism", "tour operators", "cruise ships", "sightseeing")),
    ("Travel", "rail travel", ("high speed rail", "train operators", "timetable", "rail strikes", "sleeper trains", "ticket prices", "commuters", "stations")),
    ("Travel", "city breaks", ("city guide", "old town", "boutique hotels", "street food", "weekend break", "nightlife", "walking tour", "rooftop bars")),
    ("Travel", "outdoor adventure", ("hiking", "national park", "trekking", "campsites", "mountain trails", "kayaking", "guided tours", "wilderness")),
    ("Opinion", "cost of living", ("inflation", "wages", "household budgets", "productivity", "recession fears", "energy bills", "living standards", "pay growth")),
    ("Opinion", "democracy", ("free speech", "civil liberties", "polarisation", "institutions", "accountability", "press freedom", "populism", "rule of law")),
    ("Opinion", "tech ethics", ("privacy", "surveillance", "big tech", "data protection", "digital rights", "facial recognition", "tech regulation", "consent")),
    ("Opinion", "urban life", ("housing crisis", "rents", "commuting", "public transport", "gentrification", "affordable homes", "cycle lanes", "density")),
    ("Opinion", "generations", ("millennials", "pensioners", "baby boomers", "young voters", "retirement age", "intergenerational fairness", "pensions", "young workers")),
)
SECTIONS = tuple(dict.fromkeys(section for section, _, _ in TOPICS))
PSEUDO_PER_TOPIC = 32               # invented words per topic, on top of its 8 real terms
GENERAL_TAGS = ("analysis", "explainer", "interview", "long read", "investigation", "data", "live", "photos",
                "podcast", "fact check", "in depth", "breaking news")

# General news filler; the first row (function words) is weighted three times.
FUNCTION_WORDS = ("the the the of of to to and and a a in in that is for on with as was by it at from "
                  "has have be are this which its their not but or after more than will would also they "
                  "said said says an been who were had over about into could some when while under").split()
FILLER_WORDS = """
government officials people year years week month report new first last two three several many
most other country countries city region national state public plan plans policy
figures data percent million billion price prices cost costs market support pressure change
changes decision decisions agreement deal talks meeting statement spokesperson spokeswoman
spokesman minister ministers leaders leader president company companies group groups industry
workers residents families community experts analysts researchers critics supporters officials
announced warned expected likely possible recent latest early late earlier later major key
significant growing rising falling higher lower record little long short small large
strong weak local international global domestic economic political social financial legal
time times day days month months period future past start end part number level rate share
system process issue issues question questions problem problems case cases result results
effort efforts move step steps response impact concerns risk risks growth increase decline
told asked added noted called described suggested confirmed denied agreed refused planned
hoped continued remained became began made took gave showed found kept brought held
according however although despite because since before during between among around across
still already now again even just only very much well far back today yesterday tomorrow
further next following previous annual quarterly monthly weekly nearly almost about roughly
including across against without within through toward towards upon
""".split()
NUMBERS = ("two", "three", "four", "five", "six", "dozen", "hundreds", "thousands", "10", "12", "15",
           "20", "25", "40", "100", "250", "1000", "2 percent", "3 percent", "40 percent", "half",
           "a third", "a quarter")

SOURCES = (("Staff", 40), ("Reuters", 18), ("AFP", 15), ("AP", 12), ("Bloomberg", 6), ("dpa", 3),
           ("PA Media", 3), ("Kyodo", 2), ("Xinhua", 1))
OFFSETS = (("+00:00", 40), ("+01:00", 20), ("-05:00", 20), ("+08:00", 10), ("+05:30", 10))
FIRST_NAMES = """Mei Ana James Fatima Lars Priya Tomas Chloe Kwame Sofia Hiroshi Amara Daniel Ingrid
Omar Lucia Wei Nadia Pieter Grace Rahul Elena Samuel Yuki Carlos Aisha Jonas Maria Kofi Hannah
Mateo Leila Arjun Clara Dmitri Zainab Felix Rosa Ibrahim Nora""".split()
LAST_NAMES = """Lin Souza Okafor Novak Fischer Haddad Kowalski Tanaka Mensah Rossi Larsen Patel Moreau
Nguyen Silva Cohen Petrov Adeyemi Jensen Garcia Ito Mahmoud Schmidt Costa Kim Murphy Bauer Duarte
Osei Lindqvist Chen Varga Romero Sato Khan Dubois Andersen Reyes Hassan Walsh""".split()
N_AUTHORS = 150

ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "st", "ch", "sh", "gr")
VOWELS = ("a", "e", "i", "o", "u")
SYLLABLES = tuple(o + v for o in ONSETS for v in VOWELS)       # 100 CV syllables
CODAS = ("", "n", "r", "l", "s", "", "n", "")
# Invented topic words: two syllables + a suffix starting with a vowel (so they never look like names).
PSEUDO_SUFFIXES = ("ex", "ium", "ol", "ine", "ar", "ix", "on", "ate", "ene", "ode", "ism", "ant", "ulk", "ite")

TITLE_TEMPLATES = (
    "{N} {v} new {t} {n}", "{T} {n} {v2} in {N}", "Why {N} is betting on {t}", "{N}'s {t} {n} draw scrutiny",
    "{N}: {t} {n} {v2} after {p} row", "Inside the {t} {n} reshaping {N}", "{T} in {N}: what we know",
    "{N} {v} {p} {t} {n}", "Analysis: {N} and the {p} {n}", "{T} fears grow in {N} as {p} {n} {v2}",
    "How {N} handled its {t} {n}", "{N} to {vb} {t} {n} by {year}", "{N} officials {vd} {t} {n}",
    "The {p} question: {N} weighs {t}", "{N} {v} {t} despite {p} {n}", "{T} {n} {v2} as {N} {v} {p}",
    "What {N}'s {t} {n} mean for {p}", "{N} {v} {t}, {p} {n}", "{T} and {p}: {N} {v} course",
    "Explainer: the {t} {n} in {N}",
)
V3 = ("backs", "rejects", "weighs", "unveils", "delays", "expands", "cuts", "probes", "approves", "scraps",
      "defends", "revives", "targets", "tightens", "eases", "reviews")
V_BASE = ("back", "reject", "unveil", "expand", "cut", "overhaul", "approve", "scrap", "review", "tighten")
V_PAST = ("back", "reject", "unveil", "question", "defend", "criticise", "welcome", "delay")
V_PLURAL = ("stall", "resume", "falter", "surge", "slip", "widen", "ease", "mount", "stumble", "advance")
PLURAL_NOUNS = ("talks", "plans", "rules", "costs", "fears", "deals", "targets", "reforms", "bids", "delays",
                "probes", "hopes", "limits", "rows", "gains", "curbs")
HEADINGS = ("What comes next", "The {t} question", "Reaction in {N}", "A closer look at {t}", "Background",
            "The numbers", "Why {t} matters", "What critics say", "The view from {N}", "Looking ahead",
            "How {p} fits in", "Behind the {t} {n}")
SAID = ("said", "told reporters", "said in a statement", "wrote in a report", "said on Tuesday", "added")

_WORD = re.compile(r"\w+")
POPULATION = 1 << 12                 # body words are drawn by 12-bit random indices
SENTENCE_LENGTH = tuple(8 + b % 13 for b in range(256))   # a random byte -> 8..20 items
PARAGRAPH_LENGTH = tuple(2 + b % 4 for b in range(256))   # a random byte -> 2..5 sentences
FUNCTION_TABLE = tuple(FUNCTION_WORDS[b % len(FUNCTION_WORDS)] for b in range(256))
LOW_NIBBLE = bytes(b & 15 for b in range(256))


def _spread(items, size: int) -> list:
    """size items, cycling through items."""
    items = list(items)
    return items * (size // len(items)) + items[:size % len(items)]


def _u12(low: bytes, high: bytes) -> array:
    """12-bit integers from a low byte and (the low 4 bits of) a high byte each."""
    data = bytearray(2 * len(low))
    data[0::2] = low
    data[1::2] = high.translate(LOW_NIBBLE)
    return _u16(data)


def _u16(data: bytes) -> array:
    """Little-endian 16-bit integers, the same on every machine."""
    values = array("H", data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _words(text: str) -> int:
    return len(_WORD.findall(text))


class Topic(NamedTuple):
    id: str
    name: str
    section: str
    terms: tuple[str, ...]        # the real terms
    pseudo: tuple[str, ...]       # the invented words
    tags: tuple[str, ...]
    population: tuple[str, ...]   # what body words are drawn from (filler + topic + siblings), 4,096 items


class World(NamedTuple):
    """Everything shared by all articles of one seed (independent of N)."""
    seed: int
    topics: tuple[Topic, ...]
    topic_table: tuple[Topic, ...]                # 4,096 entries, in proportion to topic weights
    section_topics: dict[str, tuple[Topic, ...]]
    authors: tuple[str, ...]
    authors_by_section: dict[str, tuple[str, ...]]


class Article(NamedTuple):
    index: int
    title: str
    slug: str
    date: str                     # RFC 3339 wall-clock time with offset
    year: str
    month: str
    section: str
    topic: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    source: str
    summary: str
    body: str
    words: int


SLUG_CHARS = {c: " " for c in range(128) if not chr(c).isalnum()}


def slug_of(text: str) -> str:
    """Lower-case ASCII words joined by '-' (what python-slugify, and so sitegen, keeps as is)."""
    return "-".join(text.lower().replace("'", "").translate(SLUG_CHARS).split())


def unique_name(i: int, seed: int) -> str:
    """A pronounceable proper noun that no other article index gets: a bijection of i onto
    3-syllable names (4, 5… syllables past a million), so titles and slugs are unique."""
    width, base = 3, 0
    while i - base >= 100 ** width:
        base += 100 ** width
        width += 1
    size = 100 ** width
    k = ((i - base) * 738_137 + seed * 7_919 + 12_345) % size       # odd, not a multiple of 5: a permutation
    parts = []
    for _ in range(width):
        k, d = divmod(k, 100)
        parts.append(SYLLABLES[d])
    name = "".join(parts) + CODAS[(i * 31 + seed) % len(CODAS)]
    return name.capitalize()


_WORLDS: dict[int, World] = {}


def world(seed: int) -> World:
    if seed in _WORLDS:
        return _WORLDS[seed]
    rng = random.Random(f"{seed}:world")
    taken = {w for _, _, terms in TOPICS for term in terms for w in term.split()}
    raw = []
    for section, name, terms in TOPICS:
        pseudo = []
        while len(pseudo) < PSEUDO_PER_TOPIC:
            word = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(PSEUDO_SUFFIXES)
            if word not in taken:
                taken.add(word)
                pseudo.append(word)
        # topic tags: its name, five real terms and two invented words (360+ tags overall)
        tags = (name, *terms[:5], pseudo[0], pseudo[1])
        raw.append((section, name, terms, tuple(pseudo), tags))

    filler = tuple(FUNCTION_WORDS * 3 + FILLER_WORDS + list(NUMBERS))
    topics = []
    for section, name, terms, pseudo, tags in raw:
        siblings = [w for s, n, t, p, _ in raw if s == section and n != name for w in (*t, *p[:8])]
        vocab = list(terms) * 2 + list(pseudo)         # real terms weigh double
        n_vocab, n_sib = round(POPULATION * TOPIC_SHARE), round(POPULATION * SIBLING_SHARE)
        population = (_spread(filler, POPULATION - n_vocab - n_sib) + _spread(vocab, n_vocab)
                      + _spread(siblings, n_sib))
        topics.append(Topic(slug_of(f"{section} {name}"), name, section, terms, pseudo, tags,
                            tuple(population)))
    odd = [x for t in topics for x in set(t.population) if _words(x) != len(x.split())]
    assert not odd, f"vocabulary items whose \\w+ runs differ from their words: {odd[:5]}"
    weights = [1.0 / (1 + r) ** 0.5 for r in range(len(topics))]    # some topics are busier
    rng.shuffle(weights)
    topic_table = _table(tuple(zip(topics, weights)), POPULATION)
    section_topics = {s: tuple(t for t in topics if t.section == s) for s in SECTIONS}

    pairs = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    authors = tuple(rng.sample(pairs, N_AUTHORS))
    by_section = {s: tuple(a for k, a in enumerate(authors) if k % len(SECTIONS) == j) for j, s in enumerate(SECTIONS)}
    result = World(seed, tuple(topics), topic_table, section_topics, authors, by_section)
    _WORLDS[seed] = result
    return result


def _table(pairs, size: int = 256) -> tuple:
    """size entries holding each value in proportion to its weight: a weighted choice is then
    one random byte (or 12 bits) used as an index."""
    total = sum(w for _, w in pairs)
    bounds = [round(size * c / total) for c in accumulate(w for _, w in pairs)]
    return tuple(value for (value, _), lo, hi in zip(pairs, [0, *bounds], bounds) for _ in range(hi - lo))


SOURCE_TABLE, OFFSET_TABLE = _table(SOURCES), _table(OFFSETS)
ROLES = ("official", "resident", "analyst", "spokesperson", "economist", "campaigner")


def make_article(i: int, seed: int = 1) -> Article:
    """Article number i of the archive for this seed (the same whatever the archive's size).

    Small choices take one byte each of a block drawn up front (a weighted choice indexes a
    256-entry table): far cheaper than a random.choice call, which matters at 100,000 articles."""
    w = world(seed)
    rng = random.Random(f"{seed}:{i}")
    r = rng.randbytes(64)
    topic = w.topic_table[r[0] | (r[1] & 15) << 8]
    terms, pseudo = topic.terms, topic.pseudo
    name = unique_name(i, seed)
    term = terms[r[2] & 7]
    fill = {"N": name, "t": term, "T": term[0].upper() + term[1:], "p": pseudo[r[3] & 31],
            "n": PLURAL_NOUNS[r[4] % len(PLURAL_NOUNS)], "v": V3[r[5] % len(V3)], "vb": V_BASE[r[6] % len(V_BASE)],
            "vd": V_PAST[r[7] % len(V_PAST)], "v2": V_PLURAL[r[8] % len(V_PLURAL)], "year": str(2026 + r[9] % 15)}
    title = TITLE_TEMPLATES[r[10] % len(TITLE_TEMPLATES)].format_map(fill)
    title = title[0].upper() + title[1:]
    slug = slug_of(title)
    if len(slug) > 80:                                 # sitegen keeps slugs to 80 characters
        slug = slug[:80].rsplit("-", 1)[0]
        name_slug = name.lower()
        if name_slug not in slug.split("-"):
            slug = slug[:79 - len(name_slug)].rsplit("-", 1)[0] + "-" + name_slug

    day = _dt.date.fromordinal(FIRST_DAY + (r[11] << 16 | r[12] << 8 | r[13]) % DAYS)
    second = (r[14] << 16 | r[15] << 8 | r[16]) % 86400
    date = f"{day.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}{OFFSET_TABLE[r[17]]}"

    # 2-5 tags: 85 % from the topic's own, 10 % from a topic of its section, 5 % general
    wanted = 2 + r[18] % 4
    tags: list[str] = []
    k = 19
    while len(tags) < wanted:
        if k + 2 > len(r):
            r += rng.randbytes(16)
        kind, pick = r[k], r[k + 1]
        k += 2
        if kind < 218:
            tag = topic.tags[pick % len(topic.tags)]
        elif kind < 243:
            other = w.section_topics[topic.section][pick % 5]
            tag = other.tags[(pick >> 3) % len(other.tags)]
        else:
            tag = GENERAL_TAGS[pick % len(GENERAL_TAGS)]
        if tag not in tags:
            tags.append(tag)
    pool = w.authors_by_section[topic.section]
    authors = [pool[r[40] % len(pool)]]
    if r[41] < 77:                                      # 30 %: a second author, mostly of the section
        second_author = pool[r[43] % len(pool)] if r[42] < 179 else w.authors[r[43] % len(w.authors)]
        if second_author != authors[0]:
            authors.append(second_author)
    source = SOURCE_TABLE[r[44]]

    k = 12 + r[45] % 11
    summary = f"In {name}, " + " ".join(itemgetter(*_u12(rng.randbytes(k), rng.randbytes(k)))(topic.population)) + "."
    body, words = _body(rng, r[46:64], topic, fill)
    return Article(i, title, slug, date, date[:4], date[5:7], topic.section, topic.id, tuple(tags),
                   tuple(authors), source, summary, body, words)


def _body(rng: random.Random, r: bytes, topic: Topic, fill: dict[str, str]) -> tuple[str, int]:
    """Markdown body of MIN_WORDS..MAX_WORDS words: paragraphs of drawn words, 1-3 subheads,
    a few links, emphasis, bold and a block quote. Returns the body and its exact word count
    (\\w+ runs outside link targets; every drawn item's words are \\w+ runs). r: 18 random bytes."""
    target = MIN_WORDS + (r[0] << 8 | r[1]) % (MAX_WORDS - MIN_WORDS + 1)
    terms = topic.terms
    headings = []
    for k in range(1 + r[2] % 3):
        fill["t"] = terms[r[3 + k] & 7]
        h = HEADINGS[r[6 + k] % len(HEADINGS)].format_map(fill)
        headings.append(h[0].upper() + h[1:])
    said_as = SAID[r[9] % len(SAID)]
    said = f'," {fill["N"]} {ROLES[r[10] % len(ROLES)]} {FIRST_NAMES[r[11] % len(FIRST_NAMES)]} ' \
           f'{LAST_NAMES[r[12] % len(LAST_NAMES)]} {said_as}.'
    n = target - sum(len(h.split()) for h in headings) - 4 - len(said_as.split())

    # The items are drawn in bulk, with no Python-level step per word (that is where the time
    # would go): 12 random bits per item index the topic's 4,096-item population (small enough to
    # stay in the CPU cache). n items have n words or more (some are phrases): drop as many
    # items from the end as there are extra words, then top up with one-word function words.
    items = list(itemgetter(*_u12(rng.randbytes(n), rng.randbytes(n)))(topic.population))
    extra = " ".join(items).count(" ") + 1 - n
    if extra:
        total = n + extra - (" ".join(items[-extra:]).count(" ") + 1)     # words left after the drop
        del items[-extra:]
        items += itemgetter(*rng.randbytes(n - total + 1))(FUNCTION_TABLE)[:n - total]
    count = len(items)

    # sentences of 8-20 items (no stub at the end)
    starts = [0, *accumulate(map(SENTENCE_LENGTH.__getitem__, rng.randbytes(count // 8 + 1)))]
    starts = starts[:bisect_left(starts, count)]
    if len(starts) > 1 and count - starts[-1] < 5:
        starts.pop()
    # emphasis, bold, links and commas on items that neither start nor end a sentence
    edges = set(starts)
    edges.update([s - 1 for s in starts])
    edges.add(count - 1)
    marks = [k for k in dict.fromkeys(v * count >> 16 for v in _u16(rng.randbytes(48))) if k not in edges]
    emphasis, bold, links = 1 + r[13] % 3, 1 + r[14] % 2, 2 + r[15] % 3
    for k in marks[:emphasis]:
        items[k] = f"*{items[k]}*"
    for k in marks[emphasis:emphasis + bold]:
        items[k] = f"**{items[k]}**"
    link_at = emphasis + bold
    for j, k in enumerate(marks[link_at:link_at + links]):
        items[k] = f"[{items[k]}](https://example.org/{topic.id}/{((r[16] << 8 | r[17]) + 7919 * j) % 65536})"
    for k in marks[link_at + links:]:
        items[k] += ","
    for k in starts:
        items[k] = items[k].capitalize()
        items[k - 1] += "."                             # (k = 0: the last item)

    # paragraphs of 2-5 sentences, at least one per subhead plus the lead
    sentences = len(starts)
    bounds = [0, *accumulate(map(PARAGRAPH_LENGTH.__getitem__, rng.randbytes(sentences // 2 + 1)))]
    bounds = bounds[:bisect_left(bounds, sentences)] + [sentences]
    parts = len(headings) + 1
    if len(bounds) - 1 < parts:
        bounds = [k * sentences // parts for k in range(parts + 1)]
    starts.append(count)
    cuts = [starts[b] for b in bounds]
    paragraphs = list(map(" ".join, map(items.__getitem__, map(slice, cuts, cuts[1:]))))
    q = 1 + r[2] % (len(paragraphs) - 1)                # one later paragraph is a quote
    paragraphs[q] = '> "' + paragraphs[q][:-1] + said
    # the lead paragraph first, then each subhead before an evenly spaced later paragraph
    rest = len(paragraphs) - 1
    before = {1 + k * rest // len(headings): h for k, h in enumerate(headings)}
    blocks = []
    for k, p in enumerate(paragraphs):
        if k in before:
            blocks.append("## " + before[k])
        blocks.append(p)
    return "\n\n".join(blocks) + "\n", target


def _q(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    if '"' in value or "\\" in value or not value.isprintable():
        return json.dumps(value, ensure_ascii=False)
    return f'"{value}"'


def _qlist(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def as_sitegen(a: Article) -> str:
    return (f"---\ntitle: {_q(a.title)}\ndate: {a.date}\nsection: {a.section}\ntags: {_qlist(a.tags)}\n"
            f"authors: {_qlist(a.authors)}\nsource: {_q(a.source)}\nsummary: {_q(a.summary)}\nslug: {a.slug}\n"
            f"---\n\n{a.body}")


def as_pelican(a: Article) -> str:
    return (f"Title: {a.title}\nDate: {a.date}\nCategory: {a.section}\nTags: {', '.join(a.tags)}\n"
            f"Authors: {', '.join(a.authors)}\nSource: {a.source}\nSummary: {a.summary}\nSlug: {a.slug}\n\n{a.body}")


def as_hugo(a: Article) -> str:
    return (f"---\ntitle: {_q(a.title)}\ndate: {a.date}\nslug: {a.slug}\ncategories: [{_q(a.section)}]\n"
            f"tags: {_qlist(a.tags)}\nauthors: {_qlist(a.authors)}\nsource: {_q(a.source)}\n"
            f"summary: {_q(a.summary)}\n---\n\n{a.body}")


RENDER = {"sitegen": as_sitegen, "pelican": as_pelican, "hugo": as_hugo}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


PATHS = {  # (folder, file name) of an article, relative to its site
    "sitegen": lambda a: (f"content/{a.year}/{a.month}", f"{a.slug}.md"),
    "pelican": lambda a: (f"content/{a.year}", f"{a.slug}.md"),
    "hugo": lambda a: (f"content/articles/{a.year}", f"{a.slug}.md"),
}
PARALLEL_FROM = 2000                 # fewer articles are written in-process


class GenerateError(Exception):
    """Bad arguments or an output folder this script may not replace."""


def _prepare(out: Path, formats: tuple[str, ...], peers: Path) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise GenerateError(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)} or all")
    for fmt in formats:
        if fmt != "sitegen" and not (peers / fmt).is_dir():
            raise GenerateError(f"the {fmt} format copies the peer configuration from {peers / fmt}, which does "
                                f"not exist; pass --peers DIR (the folder holding pelican/ and hugo/)")
    for fmt in formats:
        folder = out / fmt
        if folder.exists():
            if not (folder / MARKER).is_file():
                raise GenerateError(f"{folder} exists and was not made by bench/generate.py; remove it or "
                                    f"choose another OUTDIR")
            shutil.rmtree(folder)


def _copy_peer(src: Path, dst: Path) -> int:
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "output", "public"))
        return sum(1 for p in dst.rglob("*") if p.is_file())
    shutil.copyfile(src, dst)
    return 1


def write_articles(start: int, stop: int, seed: int, roots: list[tuple[str, str]]) -> list[tuple]:
    """Write articles start..stop-1 in each (format, site folder); return what topics.json and
    the counts need of each: (slug, topic, tags, authors, year, month, words)."""
    made: set[str] = set()
    meta = []
    renders = [(RENDER[fmt], PATHS[fmt], root) for fmt, root in roots]
    for i in range(start, stop):
        a = make_article(i, seed)
        for render, path_of, root in renders:
            folder, name = path_of(a)
            folder = f"{root}/{folder}"
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(f"{folder}/{name}", "w", encoding="utf-8", newline="\n") as fh:
                fh.write(render(a))
        meta.append((a.slug, a.topic, a.tags, a.authors, a.year, a.month, a.words))
    return meta


def _worker(conn, start: int, stop: int, seed: int, roots: list[tuple[str, str]]) -> None:
    try:
        conn.send(("ok", write_articles(start, stop, seed, roots)))
    except BaseException:                               # reported to the parent, which raises
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _run(n: int, seed: int, roots: list[tuple[str, str]], jobs: int) -> list[tuple]:
    """write_articles over 0..n-1, split into contiguous ranges over `jobs` forked processes
    (the output does not depend on the split: article i depends only on seed and i)."""
    if jobs <= 1 or n < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return write_articles(0, n, seed, roots)
    ctx = multiprocessing.get_context("fork")          # fork: nothing of this module is pickled
    workers = []
    for k in range(jobs):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(send, k * n // jobs, (k + 1) * n // jobs, seed, roots),
                           daemon=True)
        proc.start()
        send.close()
        workers.append((proc, receive))
    meta, failure = [], None
    for proc, receive in workers:                       # in order, so the result is in article order
        try:
            status, value = receive.recv()
        except EOFError:
            proc.join()
            status, value = "error", f"worker {proc.pid} died (exit code {proc.exitcode})"
        if status == "ok":
            meta += value
        elif failure is None:
            failure = value
    for proc, _ in workers:
        proc.join()
    if failure:
        raise GenerateError(f"a worker failed:\n{failure}")
    return meta


def default_jobs() -> int:
    try:
        return max(1, min(8, len(os.sched_getaffinity(0))))
    except AttributeError:                              # not on Linux
        return max(1, min(8, os.cpu_count() or 1))


def generate(n: int, out: Path, seed: int = 1, formats=("sitegen",), peers: Path | None = None,
             jobs: int | None = None) -> dict:
    """Write an archive of n articles into out/<format>/ for each format, plus out/topics.json.
    Returns counts: articles, files written per format, and the sizes of the term sets.
    jobs: processes writing articles (default: the CPUs, up to 8; the output is the same)."""
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(dict.fromkeys(FORMATS if "all" in formats else formats))
    out = Path(out)
    peers = Path(peers) if peers is not None else DEFAULT_PEERS
    if n < 0:
        raise GenerateError("N must be >= 0")
    _prepare(out, formats, peers)
    files = {fmt: 0 for fmt in formats}
    for fmt in formats:
        (out / fmt).mkdir(parents=True)
        (out / fmt / MARKER).write_text(f"bench/generate.py n={n} seed={seed}\n", encoding="utf-8")

    world(seed)                                         # built once, before any worker forks
    topic_of: dict[str, str] = {}
    tags: set[str] = set()
    authors: set[str] = set()
    months: set[tuple[str, str]] = set()
    words = 0
    roots = [(fmt, str(out / fmt)) for fmt in formats]
    for i, (slug, topic, a_tags, a_authors, year, month, a_words) in enumerate(_run(n, seed, roots, jobs)):
        if slug in topic_of:
            raise GenerateError(f"duplicate slug {slug!r} (article {i}); try another seed")
        topic_of[slug] = topic
        tags.update(a_tags)
        authors.update(a_authors)
        months.add((year, month))
        words += a_words
    for fmt in formats:
        files[fmt] += n

    if "sitegen" in formats:
        # The comparable page set: the peers build no search index and no day, related, story or
        # source pages, so neither does sitegen here (bench/README.md gives the full set's cost)
        (out / "sitegen" / "sitegen.yaml").write_text(
            f'title: "{SITE_TITLE}"\nbase_url: "{BASE_URL}"\ntimezone: UTC\nbuild_time: "{BUILD_TIME}"\n'
            "search: false\npages:\n  days: false\n  related: false\n  stories: false\n  sources: false\n",
            encoding="utf-8")
        files["sitegen"] += 1
    if "pelican" in formats:
        for name in ("pelicanconf.py", "plugins", "templates"):
            files["pelican"] += _copy_peer(peers / "pelican" / name, out / "pelican" / name)
    if "hugo" in formats:
        root = out / "hugo"
        for name in ("hugo.toml", "layouts"):
            files["hugo"] += _copy_peer(peers / "hugo" / name, root / name)
        # Hugo has no date archives: one stub section per year and month with articles (peers README)
        for year in sorted({y for y, _ in months}):
            stub = root / "content" / "archive" / year / "_index.md"
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text(f'---\ntitle: "{year}"\narchive_key: "{year}"\n---\n', encoding="utf-8")
            files["hugo"] += 1
        for year, month in sorted(months):
            stub = root / "content" / "archive" / year / month / "_index.md"
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text(f'---\ntitle: "{MONTHS[int(month) - 1]} {year}"\narchive_key: "{year}-{month}"\n---\n',
                            encoding="utf-8")
            files["hugo"] += 1

    w = world(seed)
    truth = {
        "generator": VERSION,
        "seed": seed,
        "n": n,
        "sections": list(SECTIONS),
        "topics": {t.id: {"section": t.section, "name": t.name, "tags": list(t.tags),
                          "vocabulary": list(t.terms + t.pseudo)} for t in w.topics},
        "articles": topic_of,
    }
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "topics.json", "w", encoding="utf-8", newline="\n") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return {"articles": n, "files": files, "sections": len({t.section for t in w.topics}),
            "topics": len(set(topic_of.values())), "tags": len(tags), "authors": len(authors),
            "months": len(months), "words": words}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/generate.py", description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of articles")
    p.add_argument("outdir", type=Path, help="output folder (format folders made by this script are replaced)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--format", default="sitegen", choices=(*FORMATS, "all"), help="what to write (default sitegen)")
    p.add_argument("--jobs", type=int, default=None,
                   help="processes writing articles (default: the CPUs, up to 8; the output is the same)")
    p.add_argument("--peers", type=Path, default=None,
                   help=f"folder with the peer configurations pelican/ and hugo/ (default {DEFAULT_PEERS})")
    args = p.parse_args(argv)
    formats = FORMATS if args.format == "all" else (args.format,)
    started = time.perf_counter()
    try:
        counts = generate(args.n, args.outdir, args.seed, formats, args.peers, args.jobs)
    except GenerateError as exc:
        print(f"generate.py: error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    files = ", ".join(f"{k} {v}" for k, v in counts["files"].items())
    print(f"{counts['articles']} articles ({counts['words']} words, {counts['topics']} topics, {counts['tags']} tags, "
          f"{counts['authors']} authors); files: {files}; {seconds:.2f} s into {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
