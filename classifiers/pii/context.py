"""Context words: words near a finding that make it more (or less) likely to be what it looks like.

A nine-digit number is a passport number after "passport", a routing number after "ABA" and
neither in "order 123456789". Weak pattern recognizers therefore score below the threshold on
their own and rely on :func:`apply_context` to lift them; words such as "order" or "invoice"
push a finding down. Rules are per entity type and apply to every recognizer kind (patterns,
the NER tagger, custom recognizers from config), once per finding.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.event import PiiEntity


@dataclass(frozen=True)
class ContextRule:
    """Words that raise (``words``) or lower (``negative``) the score of one entity type."""

    words: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    boost: float = 0.35
    penalty: float = 0.35
    before: int = 60  # characters looked at before the finding
    after: int = 25   # ... and after it

    def pattern(self, words: tuple[str, ...]) -> re.Pattern[str] | None:
        """One case-insensitive regex for ``words``, each matched at word starts."""
        if not words:
            return None
        return re.compile(r"(?<![A-Za-z])(?:" + "|".join(words) + r")", re.IGNORECASE)


#: Built-in rules. Words are regular expressions matched case-insensitively at a word start.
CONTEXT_RULES: dict[str, ContextRule] = {
    "US_PASSPORT": ContextRule(words=(r"passport", r"travel document"), boost=0.5),
    "US_DRIVER_LICENSE": ContextRule(
        words=(r"driver'?s?\s*licen[cs]e", r"driving\s*licen[cs]e", r"\bDL\b", r"DL\s*#", r"licen[cs]e\s*(?:no|number|#)"),
        boost=0.55),
    "US_BANK_ROUTING": ContextRule(words=(r"routing", r"\bABA\b", r"RTN", r"transit number", r"wire", r"bank"),
                                   negative=(r"order", r"invoice", r"tracking", r"ref(?:erence)?\b", r"serial"),
                                   boost=0.4),
    "UK_NHS": ContextRule(words=(r"\bNHS\b", r"health service", r"patient", r"\bGP\b", r"hospital"),
                          negative=(r"order", r"invoice", r"tracking", r"ref(?:erence)?\b", r"serial", r"account"),
                          boost=0.35),
    "MEDICAL_LICENSE": ContextRule(words=(r"\bDEA\b", r"licen[cs]e", r"prescri", r"certificat",
                                          r"\bNPI\b", r"physician", r"doctor", r"\bDr\b"),
                                   negative=(r"order", r"invoice", r"tracking", r"serial", r"part\s*(?:no|number|#)",
                                             r"\bSKU\b"), boost=0.35),
    # Cards need no positive words here (the recognizer reads "card", "visa" ... itself); a
    # tracking or IMEI number that happens to pass Luhn under a broad prefix is pushed down.
    "CREDIT_CARD": ContextRule(negative=(r"tracking", r"\bIMEI\b", r"serial", r"shipment", r"parcel"),
                               penalty=0.35),
    "BANK_ACCOUNT": ContextRule(words=(r"account\s*(?:no|number|#)", r"acct", r"bank account", r"checking",
                                       r"savings"), boost=0.5),
    "DATE_OF_BIRTH": ContextRule(words=(r"born", r"birth", r"\bDOB\b", r"d\.o\.b", r"birthday", r"b-day"),
                                 boost=0.55, before=40, after=10),
    "MEDICAL_RECORD_NUMBER": ContextRule(words=(r"\bMRN\b", r"medical record", r"patient\s*(?:id|no|number|#)",
                                                r"chart\s*(?:no|number|#)"), boost=0.5),
    # Phone words in the languages of the default phone regions too: a national number next to
    # "Telefon" or "電話" is a phone number whichever country it belongs to.
    "PHONE": ContextRule(words=(r"phone", r"call", r"\btel", r"mobile", r"cell", r"fax", r"text me", r"whatsapp",
                                r"contact", r"office", r"reach me", r"dial", r"\bmob\b",
                                r"t[ée]l[ée]phone", r"telefon", r"tel[ée]fono", r"wechat", r"telegram",
                                r"電話", r"携帯", r"电话", r"手机", r"טלפון", r"נייד"),
                         negative=(r"order", r"invoice", r"tracking", r"isbn", r"serial", r"ref(?:erence)?\b",
                                   r"account"),
                         boost=0.3, penalty=0.3),
    "CRYPTO_WALLET": ContextRule(words=(r"wallet", r"bitcoin", r"\bbtc\b", r"ethereum", r"\beth\b", r"send",
                                        r"address", r"crypto"), boost=0.3),
    "ZIP_CODE": ContextRule(words=(r"zip", r"postal", r"post code", r"postcode"), boost=0.4),
    "TAX_ID": ContextRule(words=(r"\bEIN\b", r"\bTIN\b", r"ITIN", r"tax", r"employer id"), boost=0.3),
    "NATIONAL_ID": ContextRule(words=(r"national insurance", r"\bNI\b", r"NINO", r"national id", r"identity"),
                               boost=0.3),
}


class ContextScorer:
    """Applies :data:`CONTEXT_RULES` (plus rules from config) to findings; built once per detector."""

    def __init__(self, rules: Mapping[str, ContextRule] | None = None) -> None:
        self.rules = dict(CONTEXT_RULES if rules is None else rules)
        self._compiled = {kind: (r.pattern(r.words), r.pattern(r.negative)) for kind, r in self.rules.items()}

    def add_words(self, entity_type: str, words: Iterable[str]) -> None:
        """Add literal context words (e.g. from a custom recognizer in config) for ``entity_type``."""
        extra = tuple(re.escape(w) for w in words)
        if not extra:
            return
        old = self.rules.get(entity_type, ContextRule())
        rule = ContextRule(words=old.words + extra, negative=old.negative, boost=old.boost, penalty=old.penalty,
                           before=old.before, after=old.after)
        self.rules[entity_type] = rule
        self._compiled[entity_type] = (rule.pattern(rule.words), rule.pattern(rule.negative))

    def apply(self, text: str, entities: Iterable[PiiEntity]) -> list[PiiEntity]:
        """Findings with scores raised or lowered by the words around them (clamped to 0..1)."""
        out = []
        for ent in entities:
            rule = self.rules.get(ent.type)
            if rule is None:
                out.append(ent)
                continue
            positive, negative = self._compiled[ent.type]
            # Before the finding, and a little after it ("123456789 (passport)"), never inside it.
            window = text[max(0, ent.start - rule.before):ent.start] + " \x00 " + text[ent.end:ent.end + rule.after]
            score = ent.score
            if positive is not None and positive.search(window):
                score += rule.boost
            elif negative is not None and negative.search(window):
                score -= rule.penalty
            if score != ent.score:
                ent = ent.model_copy(update={"score": round(min(1.0, max(0.0, score)), 3)})
            out.append(ent)
        return out
