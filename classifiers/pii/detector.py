"""The PII detector: pattern recognizers, context words and the NER tagger, combined per batch."""
from __future__ import annotations

import bisect
import ipaddress
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from classifiers.pii.context import ContextScorer
from classifiers.pii.custom import DenyListRecognizer, RegexRecognizer
from classifiers.pii.jsonwalk import iter_leaves
from classifiers.pii.phone_recognizers import DEFAULT_PHONE_REGIONS, validate_phone_regions
from classifiers.pii.registry import NER_TAGGERS, RECOGNIZERS, SUPPORTED_ENTITIES
from schemas.event import PiiEntity

#: Score added when the NER tagger and a pattern report the same span as the same type.
AGREEMENT_BONUS = 0.1

#: Validation settles some overlaps whatever the scores: a finding of the key type removes every
#: finding of the listed types that overlaps it. A dotted quad that ``ipaddress`` accepts, or six
#: hex pairs, are an address, never a phone number (a phone plan or the NER tagger may read one).
OUTRANKS: dict[str, frozenset[str]] = {
    "IP_ADDRESS": frozenset({"PHONE"}),
    "MAC_ADDRESS": frozenset({"PHONE"}),
}

#: Types whose value a checksum or a parser validated; on a tie in score they win over the rest
#: (before the longer span), so the outcome does not hang on the alphabetical order of type names.
VALIDATED_TYPES = frozenset({
    "CREDIT_CARD", "IBAN", "US_BANK_ROUTING", "UK_NHS", "MEDICAL_LICENSE", "CRYPTO_WALLET", "US_SSN",
    "IP_ADDRESS", "MAC_ADDRESS", "EMAIL", "JWT", "GITHUB_TOKEN", "PRIVATE_KEY",
})

_IPV4 = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9]|\.[0-9])")


def resolve_overlaps(entities: Iterable[PiiEntity]) -> list[PiiEntity]:
    """One finding per overlapping stretch; sorted by start.

    First validation (:data:`OUTRANKS`: an IP address removes a phone number it overlaps), then
    the higher score, then a validated type (:data:`VALIDATED_TYPES`), then the longer span.
    Findings are compared per ``field`` only: offsets in different fields never collide.
    O(n log n), so a hostile text with thousands of findings costs no more than finding them.
    """
    # An empty span masks nothing and would only confuse consumers.
    found = [e for e in entities if e.end > e.start]
    strong: dict[str, dict[str, list[PiiEntity]]] = {}  # losing type -> field -> findings that beat it
    for e in found:
        for loser in OUTRANKS.get(e.type, ()):
            strong.setdefault(loser, {}).setdefault(e.field, []).append(e)
    if strong:
        index = {loser: {f: _IntervalIndex(ents) for f, ents in by_field.items()} for loser, by_field in strong.items()}
        found = [e for e in found if not (e.type in index and e.field in index[e.type]
                                          and index[e.type][e.field].overlaps(e.start, e.end))]
    kept: dict[str, tuple[list[int], list[int]]] = {}  # field -> (starts, ends) of disjoint kept spans
    out: list[PiiEntity] = []
    # Earlier start breaks the last tie so the result does not depend on recognizer order.
    for ent in sorted(found, key=lambda e: (-e.score, e.type not in VALIDATED_TYPES, -(e.end - e.start),
                                            e.start, e.type)):
        starts, ends = kept.setdefault(ent.field, ([], []))
        # Kept spans are disjoint, so the last one starting before this one ends is the only
        # one that can overlap it.
        i = bisect.bisect_left(starts, ent.end)
        if i and ends[i - 1] > ent.start:
            continue
        starts.insert(i, ent.start)
        ends.insert(i, ent.end)
        out.append(ent)
    return sorted(out, key=lambda e: (e.field, e.start))


class _IntervalIndex:
    """Answers "does [start, end) overlap any of these spans?" in O(log n); the spans may overlap."""

    def __init__(self, entities: Sequence[PiiEntity]) -> None:
        spans = sorted((e.start, e.end) for e in entities)
        self._starts = [s for s, _ in spans]
        self._max_end = list(itertools.accumulate((e for _, e in spans), max))

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)  # spans starting before ``end``
        return bool(i) and self._max_end[i - 1] > start


def _holds_ipv4(value: str) -> bool:
    for m in _IPV4.finditer(value):
        try:
            ipaddress.IPv4Address(m[0])
        except ValueError:
            continue
        return True
    return False


class PiiDetector:
    """Finds PII in texts and JSON values.

    Three kinds of recognizer feed it: validated patterns (:mod:`.registry`), context words that
    raise or lower their scores (:mod:`.context`), and an NER tagger: ``ner="rampart"`` (names,
    places and addresses, :mod:`.ner`) or ``ner="minilm"`` (names, places and organisations from the
    token head of the classifier encoder, :mod:`.encoder_ner`). ``entities`` limits the types reported (default: all supported ones);
    ``thresholds`` overrides ``threshold`` per type; findings below their threshold are dropped
    before overlaps are resolved, so a weak finding never hides a strong one next to it.
    ``allow_list`` values are never reported; ``deny_list`` (type -> values) always is; ``custom``
    adds regex recognizers (objects with ``name``, ``entity``, ``regex``, ``score``, ``context``).
    ``phone_regions`` are the regions national phone numbers are read in, home region first
    (:mod:`.phone_recognizers`).
    """

    name = "pii-patterns"
    #: Bump when recognizer logic changes, so verdicts can be traced to the rules that made them.
    revision = "3"

    def __init__(self, *, entities: Sequence[str] | None = None, threshold: float = 0.5,
                 thresholds: Mapping[str, float] | None = None, ner: str = "none",
                 ner_options: Mapping[str, Any] | None = None, allow_list: Iterable[str] = (),
                 deny_list: Mapping[str, Sequence[str]] | None = None, custom: Sequence[Any] = (),
                 phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        if isinstance(entities, str):
            raise TypeError("entities must be a sequence of entity types, not a single string")
        if ner not in NER_TAGGERS:
            raise ValueError(f"unknown NER tagger {ner!r}; valid: {', '.join(NER_TAGGERS)}")
        self._custom_specs = list(custom)
        self._deny = {kind: list(values) for kind, values in (deny_list or {}).items()}
        known = tuple(dict.fromkeys([*SUPPORTED_ENTITIES, *(c.entity for c in self._custom_specs), *self._deny]))
        wanted = tuple(known if entities is None else entities)
        unknown = [e for e in wanted if e not in known]
        if unknown:
            raise ValueError(f"unknown PII entity types {unknown}; supported: {', '.join(known)}")
        for value in (threshold, *(thresholds or {}).values()):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold must be within 0..1, got {value}")
        self.entities = wanted
        self.threshold = threshold
        self.thresholds = dict(thresholds or {})
        self.ner = ner
        self._ner_options = dict(ner_options or {})
        self._allow = {v.strip().casefold() for v in allow_list if v.strip()}
        #: Regions national phone numbers are read in, home first; handed to the recognizers at load.
        self.phone_regions = validate_phone_regions(phone_regions)
        self._recognizers: list[Any] | None = None
        self._tagger: Any = None
        self._context = ContextScorer()
        if ner != "none":
            self.name = f"pii-patterns+{ner}"

    @classmethod
    def from_config(cls, pii: Any, encoder: Any = None, *, weights_dir: Any = None) -> "PiiDetector":
        """A detector for a ``PiiConfig`` (classifiers.pii): types, thresholds, lists, NER choice.

        ``encoder`` (an ``EncoderConfig``, classifiers.encoder) and ``weights_dir`` (classifiers.weights_dir)
        say how the MiniLM tagger runs when the detector runs it itself: it is the classifier encoder
        with its token head. In the worker it does not: the verdict engine hands over the findings of
        the classifier's own pass (``detect(..., ner=...)``).
        """
        enabled = [e for e in (pii.entities or None) or _all_types(pii)
                   if pii.per_entity.get(e) is None or pii.per_entity[e].enabled]
        thresholds = {e: c.threshold for e, c in pii.per_entity.items() if c.threshold is not None}
        options: dict[str, Any] = {"engine": pii.ner_engine}
        if pii.ner == "minilm":
            options = {"weights_dir": weights_dir}
            if encoder is not None:
                options.update(backend=encoder.backend, threads=encoder.threads, cache_dir=encoder.cache_dir)
        return cls(entities=enabled, threshold=pii.threshold, thresholds=thresholds, ner=pii.ner,
                   ner_options=options, allow_list=pii.allow_list, deny_list=pii.deny_list, custom=pii.custom,
                   phone_regions=pii.phone_regions)

    def load(self, *, tagger: bool = True) -> "PiiDetector":
        """Build the recognizers and load the NER model (seconds); idempotent.

        ``tagger=False`` leaves the NER model out: the caller hands NER findings to :meth:`detect`
        from a model pass of its own (the verdict engine does, from the classifier's pass).
        """
        if self._recognizers is None:
            wanted = set(self.entities)
            settings = {"phone_regions": self.phone_regions}
            recognizers: list[Any] = [cls.from_settings(settings) for cls in RECOGNIZERS.values()
                                      if cls.entity_type in wanted]
            for spec in self._custom_specs:
                if spec.entity in wanted:
                    recognizers.append(RegexRecognizer(spec.name, spec.entity, spec.regex, spec.score))
                    self._context.add_words(spec.entity, spec.context)
            recognizers += [DenyListRecognizer(kind, values) for kind, values in self._deny.items() if kind in wanted]
            if self.ner == "rampart" and tagger:
                from classifiers.pii.ner import RampartTagger

                self._tagger = RampartTagger(**self._ner_options).load()
            elif self.ner == "minilm" and tagger:
                from classifiers.pii.encoder_ner import EncoderTagger

                self._tagger = EncoderTagger(**self._ner_options).load()
            self._recognizers = recognizers
        return self

    @property
    def loaded(self) -> bool:
        """Whether :meth:`load` has run."""
        return self._recognizers is not None

    def detect(self, texts: Sequence[str], *, ner: Sequence[list[PiiEntity]] | None = None) -> list[list[PiiEntity]]:
        """Findings per text (same order as ``texts``), non-overlapping and sorted by start.

        ``ner``: NER findings per text from a model pass made elsewhere; without it the detector's own
        tagger runs (if it has one). Loads on first use if :meth:`load` was not called; workers should
        call it at start-up so the first batch does not pay for loading.
        """
        if isinstance(texts, str):
            raise TypeError("detect() takes a sequence of texts; wrap a single text in a list")
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"detect() needs str items, got {type(text).__name__}")
        recognizers = self.load()._recognizers or []
        if ner is not None and len(ner) != len(texts):
            raise ValueError(f"detect(): {len(ner)} lists of NER findings for {len(texts)} texts")
        tagged = ner if ner is not None else (
            self._tagger.tag(texts) if self._tagger is not None else [[] for _ in texts])
        return [self._combine(text, [e for r in recognizers for e in r.find(text)], ner)
                for text, ner in zip(texts, tagged)]

    def _combine(self, text: str, patterns: list[PiiEntity], ner: list[PiiEntity]) -> list[PiiEntity]:
        wanted = self.entities
        ner = [e for e in ner if e.type in wanted]
        if ner:
            # Two recognizer kinds agreeing on a span is stronger evidence than either alone.
            exact = {(e.start, e.end, e.type) for e in ner}
            patterns = [e.model_copy(update={"score": min(1.0, round(e.score + AGREEMENT_BONUS, 3))})
                        if (e.start, e.end, e.type) in exact else e for e in patterns]
        found = self._context.apply(text, patterns + ner)
        kept = [e for e in found
                if e.score >= self.thresholds.get(e.type, self.threshold)
                and (not self._allow or text[e.start:e.end].strip().casefold() not in self._allow)
                # Never a phone number, even when IP_ADDRESS is not among the reported types.
                and not (e.type == "PHONE" and _holds_ipv4(text[e.start:e.end]))]
        return resolve_overlaps(_absorb_address_parts(merge_same_type(kept)))

    def detect_json(self, value: Any, field_prefix: str = "tool.arguments") -> list[PiiEntity]:
        """Findings in every string (and integer) leaf of a JSON value, ``field`` set to its path.

        ``value`` is what ``json.loads`` returns (dict, list, str, numbers, bool, None). Offsets
        refer to the leaf's text; for a number that is ``str(number)``.
        """
        return self.detect_json_many([value], field_prefix)[0]

    def detect_json_many(self, values: Sequence[Any], field_prefix: str = "tool.arguments", *,
                         ner: Sequence[Mapping[str, list[PiiEntity]]] | None = None) -> list[list[PiiEntity]]:
        """:meth:`detect_json` for several values at once: the leaves of all of them go to the
        recognizers (and the NER model) as one batch. One list of findings per value, in order.
        ``ner``: per value, NER findings per leaf path (in the leaf's offsets) from a pass made
        elsewhere; a leaf it does not name has none."""
        leaves = [list(iter_leaves(value, field_prefix)) for value in values]
        flat_ner = None if ner is None else [
            list(ner[k].get(path, ())) for k, per_value in enumerate(leaves) for path, _ in per_value]
        flat = self.detect([text for per_value in leaves for _, text in per_value], ner=flat_ner)
        out, at = [], 0
        for per_value in leaves:
            found = flat[at:at + len(per_value)]
            at += len(per_value)
            out.append([entity.model_copy(update={"field": path})
                        for (path, _), per_leaf in zip(per_value, found) for entity in per_leaf])
        return out


def merge_same_type(entities: list[PiiEntity]) -> list[PiiEntity]:
    """Overlapping findings of one type in one field become one finding over both spans (the higher
    score and its recognizer): two recognizers that agree on the type but not on the extent (the tagger's
    "1847 Birchwood Avenue, Springfield" and the street pattern's "... Springfield, IL 62704") mask
    everything either saw, instead of the higher score leaving the rest of the value in clear text."""
    out: list[PiiEntity] = []
    for _, group in itertools.groupby(sorted(entities, key=lambda e: (e.field or "", e.type, e.start, -e.end)),
                                      key=lambda e: (e.field or "", e.type)):
        merged: list[PiiEntity] = []
        for e in group:
            last = merged[-1] if merged else None
            if last is not None and e.start < last.end:
                best = last if last.score >= e.score else e
                merged[-1] = best.model_copy(update={"start": last.start, "end": max(last.end, e.end)})
            else:
                merged.append(e)
        out.extend(merged)
    return out


#: Types that are parts of a street address: inside an ADDRESS finding they are dropped, so the
#: whole address is masked as one value instead of a city winning over its address.
ADDRESS_PARTS = frozenset({"LOCATION", "ZIP_CODE"})


def _absorb_address_parts(entities: list[PiiEntity]) -> list[PiiEntity]:
    addresses = [(e.field, e.start, e.end) for e in entities if e.type == "ADDRESS"]
    if not addresses:
        return entities
    return [e for e in entities if e.type not in ADDRESS_PARTS
            or not any(f == e.field and s <= e.start and e.end <= end for f, s, end in addresses)]


def _all_types(pii: Any) -> list[str]:
    return list(dict.fromkeys([*SUPPORTED_ENTITIES, *(c.entity for c in pii.custom), *pii.deny_list]))
