"""The NER recognizer: the Rampart PII token tagger, batched, with exact character offsets.

Rampart tags 17 kinds of PII at the sub-word level. Here each word takes the label of its first
sub-word, adjacent words of one kind merge into a span (given name + surname make one PERSON),
and the address parts (building number, street, unit, city, state, ZIP) that follow each other
with only spaces, commas or line breaks between them become one ADDRESS; a city or state on its
own is a LOCATION. Offsets come from the tokenizer's offset mapping, so they index the original
text exactly. Texts longer than the model's 512 positions are read in overlapping windows and
each token keeps the prediction of the window in which it sits farthest from an edge.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.pii.checks import aba_routing_ok
from classifiers.pii.ner_head import HEAD_REPLACES, HEAD_REPORTS, head_probs, load_head
from classifiers.pii.tags import best_window_tags, decode_words
from schemas.event import PiiEntity

#: Rampart label (without B-/I-) -> our entity type. Address parts are assembled separately.
LABEL_MAP: dict[str, str] = {
    "GIVEN_NAME": "PERSON", "SURNAME": "PERSON", "EMAIL": "EMAIL", "PHONE": "PHONE", "URL": "URL",
    "TAX_ID": "TAX_ID", "BANK_ACCOUNT": "BANK_ACCOUNT", "ROUTING_NUMBER": "US_BANK_ROUTING",
    "GOVERNMENT_ID": "NATIONAL_ID", "PASSPORT": "US_PASSPORT", "DRIVERS_LICENSE": "US_DRIVER_LICENSE",
}
STREET_PARTS = frozenset({"BUILDING_NUMBER", "STREET_NAME", "SECONDARY_ADDRESS"})
PLACE_PARTS = {"CITY": "LOCATION", "STATE": "LOCATION", "ZIP_CODE": "ZIP_CODE"}
#: Entity types this tagger can report.
NER_ENTITIES: tuple[str, ...] = tuple(dict.fromkeys([*LABEL_MAP.values(), "ADDRESS", "LOCATION", "ZIP_CODE",
                                                     "ORGANIZATION"]))

_ADDRESS_GAP = re.compile(r"[\s,]*\Z")
#: Tagger probabilities are multiplied by this (see RampartTagger._entity).
SCORE_SCALE = 0.85
#: Labels the tagger is known to confuse get less weight: it tags bank account numbers TAX_ID, so
#: its TAX_ID stays under a context-backed BANK_ACCOUNT pattern (0.7) unless tax words back it.
LABEL_TRUST = {"TAX_ID": 0.7}
#: How the tagger can run (see RampartTagger).
ENGINES = ("auto", "onnx", "onnx-q4", "torch")
MAX_POSITIONS = 512
WINDOW_OVERLAP = 64


@dataclass
class _Word:
    kind: str        # Rampart label without prefix, or "O"
    begin: bool      # tagged B- (a new entity starts here)
    start: int
    end: int
    score: float


class RampartTagger:
    """Batch NER over texts. ``load()`` reads the model (seconds); ``tag(texts)`` is the hot path.

    ``engine``: ``onnx`` (the default, also what ``auto`` means: the 4-bit weights dequantized to
    float32, run by onnxruntime; the fastest here), ``onnx-q4`` (the shipped 4-bit file as it is) or ``torch`` (dequantized into
    a ``BertForTokenClassification``). All three give a text the same findings whatever else is in
    its batch (see rampart_model.onnx_model_bytes on int8). ``min_score`` drops
    words the model is unsure of. ``head`` is the PER/LOC/ORG head's weights file ("default": the
    packaged one; None: Rampart's own labels only).
    """

    name = "rampart_ner"

    def __init__(self, *, model_dir: str | None = None, engine: str = "auto", batch_size: int = 32,
                 min_score: float = 0.5, threads: int | None = None, head: str | None = "default") -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown NER engine {engine!r}; valid: {', '.join(ENGINES)}")
        self.model_dir, self.engine, self.batch_size = model_dir, "onnx" if engine == "auto" else engine, batch_size
        self.min_score, self.threads = min_score, threads
        self.head_path = head
        self._head: dict[str, Any] | None = None
        #: The types the head reports (when loaded), and those of Rampart's own findings it replaces.
        self.head_types: frozenset[str] = HEAD_REPORTS
        self.replaced_types: frozenset[str] = HEAD_REPLACES
        self._tokenizer: Any = None
        self._run: Any = None
        self._labels: list[str] = []

    def load(self) -> "RampartTagger":
        """Load the tokenizer and the model (idempotent)."""
        if self._run is not None:
            return self
        from tokenizers import Tokenizer

        from classifiers.pii import rampart_model

        path = rampart_model.rampart_dir(self.model_dir)
        self._labels = rampart_model.labels(path)
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._cls, self._sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        self._tokenizer = tokenizer
        if self.head_path is not None:
            self._head = load_head(self.head_path)
        self._run = self._torch_runner(path) if self.engine == "torch" else self._onnx_runner(path)
        return self

    def _torch_runner(self, path: Any) -> Any:
        import torch

        from classifiers.pii.rampart_model import load_torch_model

        model = load_torch_model(path)
        if self.threads:
            torch.set_num_threads(self.threads)
        layers = tuple(int(i) for i in self._head["layers"]) if self._head is not None else ()

        def hidden(ids: Any, mask: Any) -> Any:
            out = model.bert(input_ids=ids, attention_mask=mask, output_hidden_states=True)
            return torch.cat([out.hidden_states[i] for i in (4, 6)], dim=-1).numpy()
        self._hidden = hidden

        def run(ids: Any, mask: Any) -> Any:
            with torch.inference_mode():
                out = model.bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                                 output_hidden_states=bool(layers))
                probs = torch.softmax(model.classifier(out.last_hidden_state), dim=-1).numpy()
                if not layers:
                    return probs, None
                feats = torch.cat([out.hidden_states[i] for i in layers], dim=-1).numpy()
                return probs, head_probs(self._head, feats)
        return run

    def _onnx_runner(self, path: Any) -> Any:
        import numpy as np
        import onnxruntime

        from classifiers.pii.rampart_model import hidden_state_name, onnx_model_bytes

        layers = tuple(int(i) for i in self._head["layers"]) if self._head is not None else ()
        options = onnxruntime.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        variant = "q4" if self.engine == "onnx-q4" else "fp32"
        session = onnxruntime.InferenceSession(onnx_model_bytes(path, variant=variant, hidden_layers=layers),
                                               options, providers=["CPUExecutionProvider"])
        outputs = ["logits", *(hidden_state_name(i) for i in layers)]

        def run(ids: Any, mask: Any) -> Any:
            logits, *hidden = session.run(outputs, {"input_ids": ids, "attention_mask": mask,
                                                    "token_type_ids": np.zeros_like(ids)})
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probs = shifted / shifted.sum(axis=-1, keepdims=True)
            return probs, (head_probs(self._head, np.concatenate(hidden, axis=-1)) if layers else None)
        return run

    # -- the hot path ------------------------------------------------------------------------

    def tag(self, texts: Sequence[str]) -> list[list[PiiEntity]]:
        """NER findings per text, in text order; spans may overlap pattern findings."""
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        per_text = windowed_outputs(encodings, self._run, self.batch_size, self._cls, self._sep)
        return [self._spans(text, enc, mine) if mine else []
                for text, enc, mine in zip(texts, encodings, per_text)]

    def _spans(self, text: str, enc: Any, windows: list[tuple[int, int, Any]]) -> list[PiiEntity]:
        (labels, scores), head = _best_window_predictions(len(enc.ids), windows)
        words: list[_Word] = []
        last_word = None
        for t, (word_id, (start, end)) in enumerate(zip(enc.word_ids, enc.offsets)):
            if end <= start:
                continue
            if word_id is not None and word_id == last_word and words:
                words[-1].end = end  # later sub-words extend the word and keep its label
                continue
            last_word = word_id
            label = self._labels[labels[t]]
            kind = label[2:] if label != "O" and scores[t] >= self.min_score else "O"
            words.append(_Word(kind, label.startswith("B-"), start, end, scores[t]))
        found = self._assemble(text, words)
        if head is None:
            return found
        # With the head, names, places and organisations come from it; Rampart keeps the rest
        # (addresses, numbers, e-mails, ...).
        head_spans = decode_words(text, enc, *head, min_score=self.min_score)
        return ([e for e in found if e.type not in self.replaced_types]
                + [self._entity(kind, start, end, score) for kind, start, end, score in head_spans
                   if kind in self.head_types])

    def _assemble(self, text: str, words: list[_Word]) -> list[PiiEntity]:
        # Runs of adjacent words of one kind (nothing but spaces between them) form one piece.
        pieces: list[_Word] = []
        counts: list[int] = []
        for word in words:
            if word.kind == "O":
                # A lone comma or dash between address parts must not break the chain; the gap
                # checks below still keep "John, Mary" apart.
                if text[word.start:word.end] not in (",", "-", "."):
                    pieces.append(word)
                    counts.append(1)
                continue
            prev = pieces[-1] if pieces else None
            same = prev is not None and prev.kind != "O" and _group(prev.kind) == _group(word.kind)
            if same and text[prev.end:word.start].strip() == "" and "\n" not in text[prev.end:word.start]:
                prev.score = (prev.score * counts[-1] + word.score) / (counts[-1] + 1)
                # Mixed parts of one group keep a label of that group (given name + surname -> person).
                if prev.kind != word.kind:
                    prev.kind = "GIVEN_NAME" if _group(word.kind) == "PERSON" else "STREET_NAME"
                prev.end = word.end
                counts[-1] += 1
            else:
                pieces.append(_Word(word.kind, word.begin, word.start, word.end, word.score))
                counts.append(1)
        found: list[PiiEntity] = []
        k = 0
        while k < len(pieces):
            piece = pieces[k]
            if piece.kind in STREET_PARTS or piece.kind in PLACE_PARTS:
                # Chain address parts joined by spaces, commas and line breaks.
                j = k
                while (j + 1 < len(pieces) and (pieces[j + 1].kind in STREET_PARTS or pieces[j + 1].kind in PLACE_PARTS)
                       and _ADDRESS_GAP.match(text[pieces[j].end:pieces[j + 1].start])):
                    j += 1
                chain = pieces[k:j + 1]
                if any(p.kind in ("STREET_NAME", "SECONDARY_ADDRESS") for p in chain):
                    found.append(self._entity("ADDRESS", chain[0].start, chain[-1].end,
                                              sum(p.score for p in chain) / len(chain)))
                else:
                    found.extend(self._entity(PLACE_PARTS[p.kind], p.start, p.end, p.score)
                                 for p in chain if p.kind in PLACE_PARTS)
                k = j + 1
                continue
            kind = LABEL_MAP.get(piece.kind)
            if kind is not None:
                value = text[piece.start:piece.end]
                if kind != "US_BANK_ROUTING" or aba_routing_ok(re.sub(r"[\s\-]", "", value)):
                    found.append(self._entity(kind, piece.start, piece.end, piece.score))
            k += 1
        return found

    def _entity(self, kind: str, start: int, end: int, score: float) -> PiiEntity:
        # Scaled below the validated patterns (0.9-1.0): where the tagger and a checksum disagree
        # about a span (a card number tagged as an account, half an e-mail), the checksum wins.
        scale = SCORE_SCALE * LABEL_TRUST.get(kind, 1.0)
        return PiiEntity(type=kind, start=start, end=end, score=round(min(1.0, score) * scale, 3),
                         recognizer=self.name)


def _group(kind: str) -> str:
    return LABEL_MAP.get(kind, kind) if kind not in STREET_PARTS else "STREET"


def windowed_outputs(encodings: Sequence[Any], run: Any, batch_size: int, cls: int, sep: int) -> list[list[tuple[int, int, Any]]]:
    """Run a token model over texts of any length: per text, ``(first token, end token, output)``
    for each window.

    ``encodings`` are the tokenizer's encodings without special tokens; texts longer than the
    model's positions are cut into overlapping windows. Windows are sorted by length and cut into
    forward passes of at most ``batch_size`` rows whose padding stays within 10 % of their real
    tokens (the encoder's bucketing: on a CPU the cost is the padded token count). ``run(ids, mask)``
    takes padded ``[batch, width]`` arrays with [CLS]/[SEP] and returns a tuple of ``[batch, width, ...]``
    arrays (or None); each window's output is that tuple cut to its own tokens, [CLS]/[SEP] removed.
    """
    import numpy as np

    from classifiers.encoder import CPU_PAD_WASTE, plan_buckets

    budget = MAX_POSITIONS - 2
    windows = []  # (text index, first token, end token)
    for i, enc in enumerate(encodings):
        windows.extend((i, s, e) for s, e in _plan_windows(len(enc.ids), budget, WINDOW_OVERLAP))
    order = sorted(range(len(windows)), key=lambda w: windows[w][2] - windows[w][1])
    lengths = np.array([windows[w][2] - windows[w][1] + 2 for w in order], dtype=np.int64)
    outputs: dict[int, Any] = {}
    for bucket in plan_buckets(lengths, max_rows=batch_size, max_tokens=batch_size * MAX_POSITIONS,
                               pad_waste=CPU_PAD_WASTE):
        batch = order[bucket]
        width = int(lengths[bucket][-1])  # sorted: the last window is the longest
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, w in enumerate(batch):
            i, s, e = windows[w]
            ids[row, :e - s + 2] = [cls, *encodings[i].ids[s:e], sep]
            mask[row, :e - s + 2] = 1
        result = run(ids, mask)
        for row, w in enumerate(batch):
            n = windows[w][2] - windows[w][1]
            outputs[w] = tuple(None if part is None else part[row, 1:n + 1] for part in result)
    per_text: list[list[tuple[int, int, Any]]] = [[] for _ in encodings]
    for w, (i, s, e) in enumerate(windows):
        per_text[i].append((s, e, outputs[w]))
    return per_text


def _plan_windows(count: int, budget: int, overlap: int) -> list[tuple[int, int]]:
    """Token windows ``[start, end)`` of at most ``budget`` tokens covering ``count`` tokens, overlapping."""
    if count == 0:
        return []
    windows, start = [], 0
    while True:
        end = min(start + budget, count)
        windows.append((start, end))
        if end == count:
            return windows
        start = end - overlap


def _best_window_predictions(count: int, windows: list[tuple[int, int, Any]]) -> tuple[Any, Any]:
    """:func:`best_window_tags` of Rampart's output and, when present, of the head's."""
    rampart = best_window_tags(count, [(s, e, out[0]) for s, e, out in windows])
    if windows[0][2][1] is None:
        return rampart, None
    return rampart, best_window_tags(count, [(s, e, out[1]) for s, e, out in windows])
