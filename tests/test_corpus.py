"""Incremental corpus changes: add, update, duplicate, remove, list, rebuild, uploads, live reload."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SEEDS, stored_vectors

from assistant.chunk import model_text
from assistant.cli import cli
from assistant.config import Config
from assistant.corpus import CorpusError, add_paths, list_documents, rebuild, remove_documents
from assistant.decode import sha256_text
from assistant.live import LiveSearcher
from assistant.lock import IndexBusyError, index_lock
from assistant.manifest import BuildSettings
from assistant.store import load_index

NEW_TEXT = "أعلنت بلدية القامشلي افتتاح جسر جديد فوق نهر جغجغ بطول مئة وعشرين متراً."


def no_model():
    raise AssertionError("the model must not be loaded when nothing new is embedded")


class Counting:
    """FakeEmbedder that remembers which texts it was asked to embed."""

    def __init__(self):
        from assistant.embedding.embedder import FakeEmbedder

        self.inner = FakeEmbedder()
        self.model_id, self.weights_hash = self.inner.model_id, self.inner.weights_hash
        self.dim = self.inner.dim
        self.seen: list[str] = []

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_documents(self, texts, *, show_progress=False):
        self.seen += texts
        return self.inner.embed_documents(texts)


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "docs"
    shutil.copytree(SEEDS, src)
    return src


def embedded_texts(loaded, doc_id: str | None = None) -> set[str]:
    """The distinct texts an index had to embed: its passages as the model reads them (with their
    headline, ``chunk.model_text``), and their sentences, but for a passage of one sentence read as
    it is (its vector serves its sentence)."""
    spans = loaded.sentences.spans
    per_passage = np.bincount(spans[:, 0], minlength=len(loaded.passages))
    inputs = [model_text(p.text, loaded.source(p.doc_id).title) for p in loaded.passages]
    texts = {t for t, p in zip(inputs, loaded.passages, strict=True) if doc_id in (None, p.doc_id)}
    for i, a, b in spans:
        p = loaded.passages[i]
        if (per_passage[i] > 1 or inputs[i] != p.text) and doc_id in (None, p.doc_id):
            texts.add(loaded.documents[p.doc_id].text[a:b])
    return texts


@pytest.fixture
def index(tmp_path, corpus):
    idx = tmp_path / "index"
    report = add_paths(idx, [corpus], Counting)
    assert len(report.added) == 5 and report.embedded == len(embedded_texts(load_index(idx)))
    assert report.embedded > report.passages  # sentences too
    return idx


def snapshot(idx: Path):
    loaded = load_index(idx)
    return loaded.documents, loaded.passages, stored_vectors(loaded)


def test_readd_unchanged_embeds_nothing(index, corpus):
    before = snapshot(index)
    report = add_paths(index, [corpus], no_model)
    assert (report.added, report.updated, len(report.unchanged), report.embedded) == ((), (), 5, 0)
    docs, passages, vectors = snapshot(index)
    assert docs == before[0] and passages == before[1] and np.array_equal(vectors, before[2])


def test_changed_file_replaces_its_passages_only_new_text_embedded(index, corpus):
    path = corpus / "001_913eb68b16421ab7.txt"
    old_passages = [p for p in load_index(index).passages if p.doc_id == "001_913eb68b16421ab7"]
    old_vectors = {sha256_text(p.text): v for p, v in zip(load_index(index).passages,
                                                           stored_vectors(load_index(index)), strict=True)}
    path.write_text(path.read_text("utf-8") + "\n\n" + NEW_TEXT + "\n", "utf-8")
    embedder = Counting()
    report = add_paths(index, [corpus], lambda: embedder)
    assert report.updated == ("001_913eb68b16421ab7",) and not report.added
    loaded = load_index(index)
    mine = [p for p in loaded.passages if p.doc_id == "001_913eb68b16421ab7"]
    assert len(mine) == len(old_passages) + 1 and NEW_TEXT in mine[-1].text
    read = model_text(mine[-1].text, loaded.source(mine[-1].doc_id).title)  # the new passage, with its headline
    assert NEW_TEXT in embedder.seen[0] and all(t in read for t in embedder.seen)  # only the new text
    assert len(loaded.documents) == 5
    assert loaded.documents["001_913eb68b16421ab7"].text == path.read_text("utf-8")
    for p, v in zip(loaded.passages, stored_vectors(loaded), strict=True):  # unchanged vectors reused as-is
        if NEW_TEXT not in p.text:
            assert np.array_equal(v, old_vectors[sha256_text(p.text)])


def test_duplicate_is_reported_not_indexed(index, corpus, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus / "003_3e8898654369a8c4.txt", other / "copy.txt")
    report = add_paths(index, [other], no_model)
    assert report.duplicates == ((str((other / "copy.txt").resolve()), "003_3e8898654369a8c4"),)
    assert not report.added and len(load_index(index).documents) == 5


def test_batch_with_bad_files_adds_the_rest(index, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "arabic-1256.txt").write_bytes(NEW_TEXT.encode("cp1256"))
    (batch / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (batch / "image.png").write_bytes(b"\x89PNG")
    (batch / "page.html").write_text("<html><head><title>صفحة</title><script>var hidden = 'سر';</script>"
                                     "</head><body><p>خبر عن سد الفرات وتدفق المياه.</p></body></html>",
                                     "utf-8")
    report = add_paths(index, [batch], Counting)
    assert sorted(report.added) == ["arabic-1256", "page"]
    assert len(report.skipped) == 2
    assert any("broken.txt: binary file" in m for m in report.skipped)
    assert any("image.png: unsupported file type" in m for m in report.skipped)
    assert all("\n" not in m for m in report.skipped)
    loaded = load_index(index)
    assert loaded.documents["arabic-1256"].text == NEW_TEXT
    assert not any("hidden" in p.text or "سر'" in p.text for p in loaded.passages)
    assert loaded.source("page").title == "صفحة"


def test_same_id_from_another_file_is_refused(index, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "001_913eb68b16421ab7.txt").write_text(NEW_TEXT, "utf-8")
    report = add_paths(index, [elsewhere], no_model)
    assert not report.added and not report.updated
    [message] = report.skipped
    assert "already used by" in message and "assistant remove 001_913eb68b16421ab7" in message


def test_remove_known_and_unknown(index):
    before = snapshot(index)
    with pytest.raises(CorpusError, match="unknown document id 'nope'"):
        remove_documents(index, ["002_dbe807e5f2018a14", "nope"])
    assert snapshot(index)[1] == before[1]  # all or nothing
    counts = remove_documents(index, ["002_dbe807e5f2018a14"])  # no model is needed for a removal
    loaded = load_index(index)
    assert counts["documents"] == 4 and "002_dbe807e5f2018a14" not in loaded.documents
    assert all(p.doc_id != "002_dbe807e5f2018a14" for p in loaded.passages)
    with pytest.raises(CorpusError, match="empty"):
        remove_documents(index, list(loaded.documents))


def test_cli_add_list_remove(index, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    runner = CliRunner()
    result = runner.invoke(cli, ["remove", "nope", "--index", str(index)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: unknown document id 'nope'; see: assistant list --index {index}"]
    (tmp_path / "note.md").write_text("---\ntitle: ملاحظة\noutlet: المحرر\ndate: 2022-01-24\n---\n"
                                      + NEW_TEXT + "\n", "utf-8")
    result = runner.invoke(cli, ["add", str(tmp_path / "note.md"), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "added: note" in result.output and "6 documents" in result.output
    result = runner.invoke(cli, ["list", "--json", "--index", str(index)])
    rows = [json.loads(line) for line in result.output.splitlines()]
    note = next(r for r in rows if r["doc_id"] == "note")
    got = (note["title"], note["outlet"], note["date"], note["passages"])
    assert got == ("ملاحظة", "المحرر", "2022-01-24", 1)
    assert sum(r["passages"] for r in rows) == len(load_index(index).passages)
    result = runner.invoke(cli, ["list", "--index", str(index)])
    assert "note\t1 passages\tملاحظة · المحرر · 2022-01-24" in result.output
    result = runner.invoke(cli, ["remove", "note", "--index", str(index)])
    assert result.exit_code == 0 and "5 documents" in result.output


def test_metadata_reaches_citations(index, tmp_path):
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.search import Searcher

    page = tmp_path / "bridge.html"
    page.write_text('<html><head><title>جسر القامشلي</title><meta property="og:site_name" content="نورث برس">'
                    '<meta name="date" content="2022-02-01"><link rel="canonical" href="https://example.org/b">'
                    f"</head><body><p>{NEW_TEXT}</p></body></html>", "utf-8")
    add_paths(index, [page], FakeEmbedder)
    hits = Searcher(load_index(index), FakeEmbedder()).search("جسر فوق نهر جغجغ في القامشلي", 3)
    top = hits[0].to_dict()
    assert top["source"] == {"doc_id": "bridge", "path": "bridge.html", "title": "جسر القامشلي",
                             "outlet": "نورث برس", "date": "2022-02-01", "url": "https://example.org/b"}


def test_rebuild_reembeds_everything_from_stored_text(index, corpus):
    shutil.rmtree(corpus)  # the index is self-contained: the originals are not needed
    before = snapshot(index)
    embedder = Counting()
    counts = rebuild(index, lambda: embedder)
    after = snapshot(index)
    assert counts["passages"] == len(before[1]) and set(embedder.seen) == embedded_texts(load_index(index))
    assert after[0] == before[0] and after[1] == before[1] and np.allclose(after[2], before[2])
    assert [d.doc_id for d in list_documents(index)] == list(before[0])


def test_lock_stops_a_second_writer(index, corpus):
    held, release = threading.Event(), threading.Event()

    def writer():
        with index_lock(index):
            held.set()
            release.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert held.wait(10)
        with pytest.raises(IndexBusyError, match="being updated"):
            add_paths(index, [corpus], no_model)
        with pytest.raises(IndexBusyError):
            remove_documents(index, ["002_dbe807e5f2018a14"])
    finally:
        release.set()
        t.join()
    assert len(remove_documents(index, ["002_dbe807e5f2018a14"])["removed"]) == 1


def test_live_searcher_serves_new_content_after_add(index, tmp_path):
    from assistant.embedding.embedder import FakeEmbedder

    live = LiveSearcher(index, FakeEmbedder())
    query = "جسر فوق نهر جغجغ"
    assert all(h.source.doc_id != "bridge" for h in live.search(query, 3))
    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    assert live.search(query, 3)[0].source.doc_id == "bridge"  # same object, no restart
    remove_documents(index, ["bridge"])
    assert all(h.source.doc_id != "bridge" for h in live.search(query, 3))


def test_live_searcher_survives_its_generation_being_replaced_mid_load(index, tmp_path, monkeypatch):
    """The reader picks up generation B; before it opens B's files a second update swaps in C and
    deletes B. The reader must load C, not fail with 'index corrupt'."""
    from assistant import live as live_module
    from assistant import store
    from assistant.embedding.embedder import FakeEmbedder

    live = LiveSearcher(index, FakeEmbedder())
    (tmp_path / "bridge.txt").write_text(NEW_TEXT, "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)  # generation B
    generation_b = (index / store.POINTER).read_text().strip()
    real_current = store.current_commit
    raced = []

    def current_then_replaced(index_dir):
        gen = real_current(index_dir)
        if not raced:  # the first reader of B: a second update lands right now
            raced.append(gen.name)
            remove_documents(index, ["bridge"])  # generation C; B is deleted
        return gen

    monkeypatch.setattr(store, "current_commit", current_then_replaced)
    searcher = live.current()
    assert raced == [generation_b] and not (index / generation_b).exists()
    assert searcher.index.folder.name == (index / store.POINTER).read_text().strip() != generation_b
    assert all(h.source.doc_id != "bridge" for h in live.search("جسر فوق نهر جغجغ", 3))
    monkeypatch.setattr(live_module, "RELOADS", 1)  # without the retry the same race is an error
    (tmp_path / "bridge.txt").write_text(NEW_TEXT + " ", "utf-8")
    add_paths(index, [tmp_path / "bridge.txt"], FakeEmbedder)
    raced.clear()
    with pytest.raises(store.IndexStateError, match="corrupt"):
        live.current()


# ---------------------------------------------------------------- uploads


def test_safe_name_cannot_escape():
    from assistant.uploads import safe_name

    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\evil.TXT") == "evil.txt"
    assert safe_name(".hidden.md") == "hidden.md"
    assert safe_name("تقرير المرصد (نهائي).pdf") == "تقرير المرصد_نهائي.pdf"
    assert safe_name("..") == "upload"
    assert "/" not in safe_name("a/b\x00c;rm -rf.txt") and safe_name("a/b\x00c;rm -rf.txt").endswith(".txt")


def test_upload_limits_and_folder(index, tmp_path):
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.ui.upload import status_markdown
    from assistant.uploads import save_and_add

    incoming = tmp_path / "gradio-tmp"
    incoming.mkdir()
    good = incoming / "..\\..\\خبر.txt"  # a crafted name, as a browser could send it
    good.write_text(NEW_TEXT, "utf-8")
    big = incoming / "big.txt"
    big.write_text("نص " * 600_000, "utf-8")
    exe = incoming / "tool.exe"
    exe.write_bytes(b"MZ")
    dup = incoming / "dup.txt"
    shutil.copy(SEEDS / "000_d04d6feca1dbbff6.txt", dup)
    config = Config(index_dir=index, upload_max_mb=1)
    result = save_and_add([str(p) for p in (good, big, exe, dup)], FakeEmbedder, config)
    assert result.report.added == ("خبر",)
    assert len(result.report.duplicates) == 1
    assert any("big.txt: larger than 1 MB" in r for r in result.rejected)
    assert any("tool.exe: unsupported file type" in r for r in result.rejected)
    uploads = index / "uploads"
    assert sorted(p.name for p in uploads.glob("[!.]*")) == ["خبر.txt"]  # duplicate copy not kept
    assert not list(tmp_path.glob("*.txt")) and not (index.parent / "خبر.txt").exists()
    status = status_markdown(result, uploads)
    assert "أُضيفت: خبر" in status and "مكررة" in status and str(uploads) not in status
    remove_documents(index, ["خبر"])
    assert not (uploads / "خبر.txt").exists()  # the uploaded copy goes with its document
    with pytest.raises(CorpusError, match="uploads are switched off"):
        save_and_add([str(good)], FakeEmbedder, Config(index_dir=index, uploads=0))


def test_upload_panel_builds_in_blocks(index):
    import gradio as gr

    from assistant.embedding.embedder import FakeEmbedder
    from assistant.ui.service import UIService
    from assistant.ui.upload import upload_panel

    with gr.Blocks() as demo:
        upload_panel(UIService(Config(index_dir=index), embedder=FakeEmbedder()))
    kinds = {type(b).__name__ for b in demo.blocks.values()}
    assert {"File", "Button", "Markdown"} <= kinds


@pytest.mark.integration
def test_add_with_real_model_reuses_seed_vectors(seeds_index, real_embedder, tmp_path):
    from assistant.search import Searcher

    idx = tmp_path / "index"
    shutil.copytree(seeds_index, idx)
    before = load_index(idx)
    old = dict(zip((sha256_text(p.text) for p in before.passages), stored_vectors(before), strict=True))
    (tmp_path / "bridge.txt").write_bytes(NEW_TEXT.encode("cp1256"))
    report = add_paths(idx, [tmp_path / "bridge.txt"], lambda: real_embedder)
    loaded = load_index(idx)
    assert report.added == ("bridge",) and report.embedded == len(embedded_texts(loaded, "bridge"))
    for p, v in zip(loaded.passages, stored_vectors(loaded), strict=True):
        if p.doc_id != "bridge":
            assert np.array_equal(v, old[sha256_text(p.text)])
    hits = Searcher(loaded, real_embedder).search("متى افتتح الجسر الجديد في القامشلي؟", 3)
    assert hits[0].source.doc_id == "bridge"
    hits = Searcher(loaded, real_embedder).search("كم عدد السيارات المفخخة في هجوم سجن الصناعة؟", 3)
    assert hits[0].source.doc_id != "bridge"


def test_folder_holding_the_index_does_not_read_the_index(tmp_path):
    from assistant.embedding.embedder import FakeEmbedder

    work = tmp_path / "work"
    shutil.copytree(SEEDS, work)
    idx = work / "index"
    add_paths(idx, [work], FakeEmbedder)
    (idx / "uploads").mkdir()
    (idx / "uploads" / "up.txt").write_text(NEW_TEXT, "utf-8")
    report = add_paths(idx, [work], no_model)
    assert (len(report.unchanged), report.added, report.skipped, report.duplicates) == (5, (), (), ())


def test_passages_are_embedded_with_their_headline_and_a_one_sentence_one_keeps_a_plain_sentence(tmp_path):
    from assistant.embedding.embedder import FakeEmbedder

    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.md").write_text("# الوزارة: افتتاح جسر جديد\n\n" + NEW_TEXT + "\n\nوقال المحافظ إن العمل استمر عامين.\n",
                              "utf-8")
    embedder = Counting()
    add_paths(tmp_path / "index", [src], lambda: embedder, settings=BuildSettings(max_chars=60, overlap=0))
    loaded, fake = load_index(tmp_path / "index"), FakeEmbedder()
    title = loaded.source(loaded.passages[0].doc_id).title
    assert title == "الوزارة: افتتاح جسر جديد"
    rows = [i for i, p in enumerate(loaded.passages) if not p.text.startswith(title)]
    assert rows and all(f"{title}\n{loaded.passages[i].text}" in embedder.seen for i in rows)
    vectors = stored_vectors(loaded)
    for i in rows:  # the stored vector is the headlined text's; the sentence vector the sentence's own
        p = loaded.passages[i]
        assert np.allclose(vectors[i], fake.embed_documents([f"{title}\n{p.text}"])[0], atol=1e-3)
        a, b = int(loaded.sentences.ptr[i]), int(loaded.sentences.ptr[i + 1])
        if b - a == 1:
            assert np.allclose(loaded.sentences.vectors[a], fake.embed_documents([p.text])[0], atol=1e-3)


def test_an_index_embedded_without_headlines_reuses_only_the_vectors_of_the_same_text(index, corpus):
    """A segment from before headlines (no "passage_input" version) holds vectors of the passages'
    text alone: a change that rewrites the stale index reuses those only where the model reads the
    same text now, and embeds the headlined passages again."""
    for table in index.glob("seg-*/segment.json"):
        meta = json.loads(table.read_text("utf-8"))
        del meta["versions"]["passage_input"]
        table.write_text(json.dumps(meta), "utf-8")
    (corpus / "new.txt").write_text(NEW_TEXT + "\n", "utf-8")
    embedder = Counting()
    add_paths(index, [corpus], lambda: embedder)
    loaded = load_index(index)
    inputs = {p.doc_id: [] for p in loaded.passages}
    for p in loaded.passages:
        inputs[p.doc_id].append(model_text(p.text, loaded.source(p.doc_id).title))
    old = [t for doc, texts in inputs.items() if not doc.startswith("new") for t in texts]
    headlined = [t for t in old if not any(t == p.text for p in loaded.passages)]
    assert headlined and set(headlined) <= set(embedder.seen)  # made without the headline: embedded again
    assert not set(old) - set(headlined) & set(embedder.seen)  # the same text: reused
