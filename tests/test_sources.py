"""Reading, decoding and junk detection keep exact offsets into the original text."""

import json

import pytest
from conftest import SEEDS

from assistant.decode import clean_spans, decode_bytes
from assistant.errors import SourceError
from assistant.sources import read_documents

JUNK = ["°C", "00963 939 114 037", "escort", "قد يعجبك ايضا", "pic.twitter.com", "(@BtfS9u1ut6FsXtk)",
        "(@alaa_hussein91)"]


def test_decode_utf8_bom_utf16_cp1256():
    text = "هجوم على سجن الصناعة بالحسكة"
    assert decode_bytes(text.encode("utf-8")) == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_bytes(text.encode("utf-16")) == text
    assert decode_bytes(text.encode("cp1256")) == text


def test_decode_rejects_binary_and_non_arabic_legacy_bytes():
    with pytest.raises(SourceError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "x.png")
    with pytest.raises(SourceError, match="x.txt"):
        decode_bytes("Grüße aus Köln".encode("latin-1"), "x.txt")


def test_seed_junk_is_outside_clean_spans():
    for doc in read_documents([SEEDS]):
        clean = "".join(doc.text[a:b] for a, b in doc.spans)
        for junk in JUNK:
            assert junk not in clean, (doc.doc_id, junk)


def test_clean_spans_keep_article_text():
    doc = next(d for d in read_documents([SEEDS]) if d.doc_id.startswith("004"))
    clean = "".join(doc.text[a:b] for a, b in doc.spans)
    assert "مشاهد حصرية حصلت عليها" in clean  # the tweet's own text stays, its credit line goes
    assert "وكالة اعماق الارهابية تنشر مقطع" in clean


def test_clean_spans_on_synthetic_page():
    text = "القاهرة 25°C\n+20 2 1234 5678\nالخبر الأول.\nقد يعجبك أيضا\nbest casino bonus\nالخبر الثاني."
    spans = clean_spans(text)
    assert [text[a:b] for a, b in spans] == ["الخبر الأول.", "الخبر الثاني."]


def test_metadata_only_from_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text("عنوان المقال\nنص المقال هنا.", encoding="utf-8")
    (tmp_path / "metadata.json").write_text(json.dumps({"a.txt": {"outlet": "عنب بلدي"}}), encoding="utf-8")
    (doc,) = read_documents([tmp_path])
    assert doc.source.outlet == "عنب بلدي" and doc.source.title == "عنوان المقال" and doc.source.date == ""


def test_seed_metadata_leaves_unknown_fields_empty():
    docs = {d.doc_id: d.source for d in read_documents([SEEDS])}
    assert docs["000_d04d6feca1dbbff6"].outlet == "أوغاريت بوست"
    assert docs["001_913eb68b16421ab7"].outlet == "" and docs["001_913eb68b16421ab7"].date == ""


def test_jsonl_records_are_documents(tmp_path):
    rows = [{"id": "q1", "title": "باريس", "text": "باريس عاصمة فرنسا."}, {"id": "q2", "title": "", "text": "نص."}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    docs = read_documents([tmp_path / "c.jsonl"])
    assert [d.doc_id for d in docs] == ["q1", "q2"] and docs[0].source.title == "باريس"


def test_windows_1256_file_reads_with_offsets(tmp_path):
    text = "سجن الصناعة في الحسكة.\nهجوم تنظيم داعش."
    (tmp_path / "legacy.txt").write_bytes(text.encode("cp1256"))
    (doc,) = read_documents([tmp_path])
    assert doc.text == text and doc.text[doc.spans[0][0]:doc.spans[0][1]] == text


def test_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SourceError, match="broken.jsonl:2"):
        read_documents([bad])
    with pytest.raises(SourceError, match="no such file"):
        read_documents([tmp_path / "missing"])


def test_build_and_add_read_the_same_files(tmp_path):
    """One walker: hidden files and folders, metadata.json and unsupported files are never documents."""
    from assistant.corpus import add_paths
    from assistant.embedding.embedder import FakeEmbedder

    folder = tmp_path / "docs"
    for rel in ("a.txt", "sub/b.md", ".hidden.txt", ".git/c.txt", "sub/.cache/d.txt", "notes.xyz"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"نص الوثيقة {rel} عن الاجتماع في المدينة.", "utf-8")
    (folder / "metadata.json").write_text('{"a.txt": {"title": "عنوان"}}', "utf-8")
    built = sorted(d.doc_id for d in read_documents([folder]))
    report = add_paths(tmp_path / "index", [folder], FakeEmbedder)
    assert built == sorted(report.added) == ["a", "sub/b"]
    assert any("notes.xyz: unsupported file type" in s for s in report.skipped)


def test_jsonl_errors_name_the_line_and_any_encoding_reads(tmp_path):
    from assistant.jsonl import read_user_jsonl

    good = tmp_path / "q.jsonl"
    good.write_bytes('{"id": 1, "text": "سؤال"}\n\n{"id": 2, "text": "آخر"}\n'.encode("utf-16"))
    assert [(n, r["id"]) for n, r in read_user_jsonl(good)] == [(1, 1), (3, 2)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n[1, 2]\n', "utf-8")
    with pytest.raises(SourceError, match=r"bad.jsonl:2: expected an object with id"):
        read_user_jsonl(bad, "an object with id")


def test_examples_file_belongs_to_the_collection_not_to_its_documents(tmp_path):
    from assistant.corpus import add_paths, remove_documents
    from assistant.embedding.embedder import FakeEmbedder
    from assistant.sources import read_examples
    from assistant.store import load_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("نص الوثيقة الأولى عن الاجتماع في المدينة.", "utf-8")
    (folder / "examples.txt").write_text("# a comment\nمتى عقد الاجتماع؟\n\nمن حضر الاجتماع؟\nمتى عقد الاجتماع؟\n",
                                         "utf-8")
    assert [d.doc_id for d in read_documents([folder])] == ["a"]  # examples.txt is not a document
    assert read_examples([folder]) == ("متى عقد الاجتماع؟", "من حضر الاجتماع؟")
    assert read_examples([folder / "a.txt"]) == () and read_examples([tmp_path / "none"]) == ()
    index = tmp_path / "index"
    add_paths(index, [folder], FakeEmbedder)
    assert load_index(index).manifest["examples"] == ["متى عقد الاجتماع؟", "من حضر الاجتماع؟"]
    more = tmp_path / "more"
    more.mkdir()
    (more / "b.txt").write_text("نص الوثيقة الثانية عن السوق.", "utf-8")
    (more / "examples.txt").write_text("ماذا حدث في السوق؟\n", "utf-8")
    add_paths(index, [more], FakeEmbedder)
    remove_documents(index, ["a"])  # the collection keeps its examples through every change
    assert load_index(index).manifest["examples"] == ["متى عقد الاجتماع؟", "من حضر الاجتماع؟", "ماذا حدث في السوق؟"]
