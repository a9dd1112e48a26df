"""BM25 over Arabic-analysed text, with corpus-wide statistics across index segments.

Each segment stores plain postings (``Postings``: per term, the rows holding it and how often),
never precomputed scores: idf and the average passage length are computed when the index is
loaded, over the *live* passages of every segment (deleted ones excluded). So a passage scores
the same whether the index was built in one go or by many additions and removals. The formula is
Lucene's BM25 as bm25s computes it (``method="lucene"``): idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 * (1 - b + b * len / avglen)); tests/test_fusion.py checks it against bm25s.

Rows are the index's rows: each segment's live passages placed where the loaded index puts them
(``positions``; store.load_index orders them by document id, so the order, and hence the order of
tied scores, does not depend on how the index is segmented).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from .normalize import analyze

BM25_PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}
FILES = ("terms.json", "indptr.npy", "rows.npy", "tfs.npy", "lengths.npy")
RECENT_TERMS = 64  # terms whose live postings and BM25 parts a LexicalIndex keeps at hand


class Postings:
    """One segment's inverted file: ``terms[t]``'s rows are ``rows[indptr[t]:indptr[t+1]]`` (ascending)
    with term frequencies ``tfs``; ``lengths`` = analysed tokens per row."""

    def __init__(self, terms: list[str], indptr: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
                 lengths: np.ndarray):
        self.terms, self.indptr, self.rows, self.tfs, self.lengths = terms, indptr, rows, tfs, lengths
        self.term_ids = {t: i for i, t in enumerate(terms)}

    @classmethod
    def from_tokens(cls, docs: list[list[str]]) -> Postings:
        ids: dict[str, int] = {}
        term_col, row_col, tf_col = [], [], []
        for row, tokens in enumerate(docs):
            for term, tf in Counter(tokens).items():
                term_col.append(ids.setdefault(term, len(ids)))
                row_col.append(row)
                tf_col.append(tf)
        lengths = np.fromiter((len(d) for d in docs), np.int32, len(docs))
        return cls._assemble(list(ids), np.asarray(term_col, np.int64), np.asarray(row_col, np.int32),
                             np.asarray(tf_col, np.int32), lengths)

    @classmethod
    def _assemble(cls, terms, term_col, row_col, tf_col, lengths) -> Postings:
        order = np.lexsort((row_col, term_col))
        indptr = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(np.bincount(term_col, minlength=len(terms)), out=indptr[1:])
        return cls(terms, indptr, row_col[order], tf_col[order], lengths)

    @classmethod
    def merge(cls, parts: list[Postings], keep: list[np.ndarray]) -> Postings:
        """One inverted file of the rows ``keep[i]`` (ascending) of each part, renumbered in order."""
        ids: dict[str, int] = {}
        term_cols, row_cols, tf_cols, lengths, base = [], [], [], [], 0
        for part, rows in zip(parts, keep, strict=True):
            new_row = np.full(len(part.lengths), -1, np.int64)
            new_row[rows] = np.arange(base, base + len(rows))
            remap = np.fromiter((ids.setdefault(t, len(ids)) for t in part.terms), np.int64, len(part.terms))
            term = np.repeat(remap, np.diff(part.indptr))
            alive = new_row[part.rows] >= 0
            term_cols.append(term[alive])
            row_cols.append(new_row[part.rows[alive]].astype(np.int32))
            tf_cols.append(part.tfs[alive])
            lengths.append(part.lengths[rows])
            base += len(rows)
        used = np.zeros(len(ids), bool)
        for t in term_cols:
            used[t] = True
        terms = [t for t, u in zip(ids, used, strict=True) if u]  # terms only deleted rows held are dropped
        renumber = np.cumsum(used) - 1
        return cls._assemble(terms, renumber[cat(term_cols, np.int64)], cat(row_cols, np.int32),
                             cat(tf_cols, np.int32), cat(lengths, np.int32))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        tid = self.term_ids.get(term)
        if tid is None:
            return self.rows[:0], self.tfs[:0]
        a, b = self.indptr[tid], self.indptr[tid + 1]
        return self.rows[a:b], self.tfs[a:b]

    @property
    def size(self) -> int:
        return len(self.lengths)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), "utf-8")
        for name, arr in (("indptr", self.indptr), ("rows", self.rows), ("tfs", self.tfs),
                          ("lengths", self.lengths)):
            np.save(folder / f"{name}.npy", arr, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Postings:
        arrays = [np.load(folder / f"{n}.npy", allow_pickle=False) for n in ("indptr", "rows", "tfs", "lengths")]
        terms = json.loads((folder / "terms.json").read_text("utf-8"))
        if not isinstance(terms, list) or len(arrays[0]) != len(terms) + 1 or len(arrays[1]) != len(arrays[2]) \
                or (len(arrays[1]) and (arrays[1].max() >= len(arrays[3]))) or arrays[0][-1] != len(arrays[1]):
            raise ValueError("postings arrays do not fit together")
        return cls(terms, *arrays)


def analyze_texts(texts: list[str], *, stem: bool, stopwords: bool, show_progress: bool = False) -> list[list[str]]:
    from tqdm.auto import tqdm

    return [analyze(t, stem=stem, stopwords=stopwords)
            for t in tqdm(texts, desc="BM25 analysis", unit="passage", disable=not show_progress)]


def top_rows(rows: np.ndarray, values: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``depth`` best ``rows`` by ``values``: (rows, values), best first, equal values by row
    (so ties rank the same however the index is segmented). Costs O(len(rows)), not O(index)."""
    if len(rows) > depth > 0:
        kth = np.partition(values, len(values) - depth)[len(values) - depth]
        keep = values >= kth
        rows, values = rows[keep], values[keep]
    order = np.lexsort((rows, -values))[:max(depth, 0)]
    return rows[order], values[order]


def cat(xs: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)


class LexicalIndex:
    """BM25 over the live rows of one or more segments' postings, with statistics of them all.

    Args:
        parts: each segment's postings.
        positions: per part, the index row of each of its rows (-1: deleted); by default the parts'
            rows one after the other.
    """

    def __init__(self, parts: list[Postings], positions: list[np.ndarray] | None = None, *,
                 stem: bool = True, stopwords: bool = True):
        self.parts, self.stem, self.stopwords = parts, stem, stopwords
        if positions is None:
            starts = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
            positions = [np.arange(a, a + p.size, dtype=np.int64) for a, p in zip(starts, parts, strict=False)]
        self.positions = positions
        self.alive = [pos >= 0 for pos in positions]
        self.whole = [bool(a.all()) for a in self.alive]
        # a part whose rows are index rows first..first+n-1 (no deletions in it): a row's index row is
        # an addition, not a read from a million-long array
        self.first = [int(pos[0]) if len(pos) and np.array_equal(pos, np.arange(pos[0], pos[0] + len(pos)))
                      else None for pos in positions]
        self._recent: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._guard = threading.Lock()
        self._size = sum(int(a.sum()) for a in self.alive)
        total_len = sum(int(p.lengths[a].sum()) for p, a in zip(parts, self.alive, strict=True))
        avg = np.float64(total_len / self._size) if self._size else np.float64(1.0)
        k1, b = BM25_PARAMS["k1"], BM25_PARAMS["b"]
        # The tf part's denominator without tf, per row (bm25s's arithmetic: float64, then float32).
        self.norms = [k1 * ((1 - b) + b * p.lengths / avg) for p in parts]

    @classmethod
    def build(cls, texts: list[str], *, stem: bool = True, stopwords: bool = True,
              show_progress: bool = False) -> LexicalIndex:
        """Analyse ``texts`` (our Arabic pipeline) and index them as one part."""
        tokens = analyze_texts(texts, stem=stem, stopwords=stopwords, show_progress=show_progress)
        return cls([Postings.from_tokens(tokens)], stem=stem, stopwords=stopwords)

    def query_terms(self, query: str) -> list[str]:
        return analyze(query, stem=self.stem, stopwords=self.stopwords)

    def _term(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(the live index rows holding ``term``, its BM25 part in each), over every segment. The
        last few terms' are kept (the index never changes; a question asks for each term several
        times: its scores, idf weight and match share, and the next question often again)."""
        found = self._recent.get(term)
        if found is not None:
            return found
        held = []  # (part number, its own rows, tfs)
        for i, (part, alive) in enumerate(zip(self.parts, self.alive, strict=True)):
            rows, tfs = part.postings(term)
            if len(rows) and not self.whole[i]:
                keep = alive[rows]
                rows, tfs = rows[keep], tfs[keep]
            if len(rows):
                held.append((i, rows, tfs))
        idf = np.float32(self._idf(sum(len(rows) for _, rows, _ in held)))
        bm25 = []
        for i, rows, tfs in held:
            tf = tfs.astype(np.float32)
            bm25.append((idf * (tf / (self.norms[i][rows] + tf))).astype(np.float32))
        at = [rows + np.int64(self.first[i]) if self.first[i] is not None else self.positions[i][rows]
              for i, rows, _ in held]
        found = (cat(at, np.int64), cat(bm25, np.float32))
        with self._guard:  # searches run in several threads (the UI)
            self._recent[term] = found
            while len(self._recent) > RECENT_TERMS:
                self._recent.pop(next(iter(self._recent)))
        return found

    def _df(self, term: str) -> int:
        return len(self._term(term)[0])

    def _idf(self, df: int) -> float:
        return float(np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 of every live row (a term repeated in the question counts each time, as in bm25s)."""
        return self.scored(query)[0]

    def scored(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(BM25 of every live row, the rows scoring above 0 in no set order), in time proportional
        to the question's postings, not to the index: the array comes zeroed from the system and
        only rows holding a term are touched (a term's part is > 0, so a row still at 0 is new)."""
        out, new = np.zeros(self.size, np.float32), []
        for term in self.query_terms(query):
            at, bm25 = self._term(term)
            before = out[at]
            new.append(at[before == 0])
            out[at] = before + bm25
        return out, cat(new, np.int64)

    def term_weights(self, query: str) -> dict[str, float]:
        """The question's distinct terms and their Lucene idf; a term absent from the corpus gets the
        highest idf, so it counts fully against any passage (it is in none)."""
        return {t: self._idf(self._df(t)) for t in dict.fromkeys(self.query_terms(query))}

    def match_share(self, query: str, weights: dict[str, float] | None = None) -> np.ndarray:
        """Per passage, the idf-weighted share of the question's distinct terms it contains.

        Terms missing from the corpus count in the denominator with the highest idf, so an
        English question over Arabic text matches nothing (all zeros). Term frequency and
        passage length are ignored on purpose: this says *how much of the question* a passage
        covers, on a scale (0..1) that is comparable across questions, unlike raw BM25.
        """
        share = np.zeros(self.size, dtype=np.float32)
        weights = self.term_weights(query) if weights is None else weights  # the caller's, when it has them
        total = sum(weights.values())
        if not weights or not self.size or total <= 0:
            return share
        new = []
        for term, idf in weights.items():
            at = self._term(term)[0]
            before = share[at]
            new.append(at[before == 0])  # idf > 0: a row still at 0 is new
            share[at] = before + idf
        rows = cat(new, np.int64)
        share[rows] /= total  # every other row is 0: ``share / total`` in time proportional to the rows
        return share

    @property
    def size(self) -> int:
        return self._size

    def save(self, folder: Path) -> None:
        """A single-part index without deletions (what ``build`` makes) as postings files."""
        if len(self.parts) != 1 or not self.alive[0].all():
            raise ValueError("only a single-part index without deletions is saved as it is")
        self.parts[0].save(folder)
