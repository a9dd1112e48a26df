"""Merging segments: `assistant optimize` (all into one) and the automatic merge after a change.

Policy (tiered, as Lucene's): segments are grouped by size tier, ``floor(log10(live passages))``;
when one tier holds ``MERGE_FACTOR`` segments they become one segment of the next tier, so each
passage is rewritten about once per tier (a handful of times in its life), not at every add. A
segment with ``PURGE_SHARE`` or more of its passages deleted is rewritten without them. If the
index still has more than ``MAX_SEGMENTS`` segments, the smallest are merged. A merge copies
vectors, sentence vectors and postings: nothing is embedded or analysed again.

The automatic merge runs in the writer that made the change, after that change's commit and
under the same lock: a crash during it leaves the change committed and the merge undone, and
readers keep using the segments they loaded until the merged commit appears.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .commits import commit, write_segment_safely
from .errors import IndexStateError
from .jsonl import iter_jsonl
from .lexical import Postings
from .lock import index_lock
from .manifest import read_manifest
from .records import Passage
from .segments import BadSegment, SegmentData, read_table
from .sentences import SPANS as SENTENCE_SPANS
from .sentences import SentenceIndex

MERGE_FACTOR = 10
MAX_SEGMENTS = 20
PURGE_SHARE = 0.3


def _sizes(index_dir: Path, manifest: dict) -> list[tuple[int, int]]:
    """(live passages, all passages) of each segment of the commit."""
    out = []
    for entry in manifest["segments"]:
        table = read_table(index_dir, entry["name"])
        total = table["counts"]["passages"]
        gone = sum(table["documents"][d]["rows"][1] - table["documents"][d]["rows"][0] for d in entry["deleted"])
        out.append((total - gone, total))
    return out


def plan(sizes: list[tuple[int, int]], *, factor: int | None = None, cap: int | None = None) -> list[int]:
    """Which segments (positions) to merge into one now; [] when none need it."""
    factor, cap = factor or MERGE_FACTOR, cap or MAX_SEGMENTS
    picks: set[int] = {i for i, (live, total) in enumerate(sizes) if total and (total - live) / total >= PURGE_SHARE}
    tiers: dict[int, list[int]] = {}
    for i, (live, _) in enumerate(sizes):
        tiers.setdefault(int(math.log10(max(live, 1))), []).append(i)
    for members in tiers.values():
        if len(members) >= factor:
            picks.update(members)
    left = len(sizes) - max(len(picks) - 1, 0)
    if left > cap:
        rest = sorted((i for i in range(len(sizes)) if i not in picks), key=lambda i: sizes[i][0])
        picks.update(rest[:left - cap + (0 if picks else 1)])
    if len(picks) == 1 and sizes[next(iter(picks))][0] == sizes[next(iter(picks))][1]:
        return []  # one whole segment: nothing to gain
    return sorted(picks)


def merge(index_dir: Path, picks: list[int]) -> dict:
    """Merge the live commit's segments at ``picks`` into one new segment, in a new commit. The
    caller holds the lock. Returns the new commit's counts."""
    manifest = read_manifest(index_dir)
    entries = manifest["segments"]
    chosen = [(entries[i]["name"], set(entries[i]["deleted"])) for i in picks]
    data = merged(index_dir, chosen)
    segments = [(e["name"], e["deleted"]) for i, e in enumerate(entries) if i not in picks]
    if data.passages:
        # The merged segment takes the place of the first merged one (row order stays close to insertion order).
        name = write_segment_safely(index_dir, data, manifest["counts"]["passages"])
        segments.insert(min(picks), (name, []))
    if not segments:
        raise IndexStateError(f"merging would leave {index_dir} empty")
    return read_manifest(index_dir, commit(index_dir, segments, base=manifest))["counts"]


def auto_merge(index_dir: Path) -> dict | None:
    """Merge what ``plan`` says (repeatedly, as one merge can fill the next tier); the caller holds
    the lock. Returns the last counts, or None when nothing was merged."""
    counts = None
    for _ in range(8):  # tiers are few; the bound only guards against a policy bug
        picks = plan(_sizes(index_dir, read_manifest(index_dir)))
        if not picks:
            break
        counts = merge(index_dir, picks)
    return counts


def optimize(index_dir: Path) -> dict:
    """Merge every segment into one, without deleted passages (`assistant optimize`)."""
    index_dir = Path(index_dir)
    with index_lock(index_dir):
        manifest = read_manifest(index_dir)
        sizes = _sizes(index_dir, manifest)
        if len(sizes) == 1 and sizes[0][0] == sizes[0][1]:
            return {**manifest["counts"], "merged": 0}
        return {**merge(index_dir, list(range(len(sizes)))), "merged": len(sizes)}


def merged(index_dir: Path, segments: list[tuple[str, set[str]]]) -> SegmentData:
    """The live documents of ``segments`` ((name, deleted ids) each) as one new segment's data:
    rows, passages, vectors and sentences copied, postings merged; nothing re-embedded or re-analysed."""
    rows, passages, vectors, postings, keep, s_spans, s_vecs, base = [], [], [], [], [], [], [], 0
    with_sentences = True
    for name, deleted in segments:
        folder = index_dir / name
        table = read_table(index_dir, name)
        live = [(doc_id, e) for doc_id, e in table["documents"].items() if doc_id not in deleted]
        ranges = [range(*e["rows"]) for _, e in live]
        keep_rows = np.fromiter((r for rg in ranges for r in rg), np.int64)
        try:
            seg_passages = [Passage(**r) for r in iter_jsonl(folder / "passages.jsonl")]
            rows += [r for r in iter_jsonl(folder / "documents.jsonl") if r["doc_id"] not in deleted]
            vectors.append(np.load(folder / "vectors.npy", mmap_mode="r")[keep_rows])
            postings.append(Postings.load(folder / "bm25"))
            sentences = SentenceIndex.load(folder, len(seg_passages)) if (folder / SENTENCE_SPANS).exists() else None
        except Exception as exc:
            raise BadSegment(f"{name} unreadable ({type(exc).__name__})") from exc
        keep.append(keep_rows)
        passages += [seg_passages[i] for i in keep_rows]
        if sentences is None:
            with_sentences = False
        elif with_sentences:
            new_row = np.full(len(seg_passages), -1, np.int64)
            new_row[keep_rows] = np.arange(base, base + len(keep_rows))
            take = new_row[sentences.spans[:, 0]] >= 0
            spans = sentences.spans[take].copy()
            spans[:, 0] = new_row[spans[:, 0]]
            s_spans.append(spans)
            s_vecs.append(sentences.vectors[take])
        base += len(keep_rows)
    dim = vectors[0].shape[1]
    sentences = SentenceIndex(np.concatenate(s_spans).astype(np.int32), np.concatenate(s_vecs), base) \
        if with_sentences and s_spans else None
    return SegmentData(rows, passages, np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
                       sentences, Postings.merge(postings, keep))
