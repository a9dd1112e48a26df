"""Uploads from the web: nobody replaces a document they did not upload, in any format; limits;
no server paths in messages; unfinished copies swept; one upload at a time."""

from __future__ import annotations

import json
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SEEDS

from assistant.config import Config
from assistant.corpus import add_paths, list_documents
from assistant.embedding.embedder import FakeEmbedder
from assistant.errors import AccessError, IndexBusyError, UnknownDocumentError
from assistant.lock import index_lock
from assistant.store import load_index
from assistant.uploads import UPLOADS_DIR, remove_upload, save_and_add, sweep, uploaded_by

SEED = "000_d04d6feca1dbbff6"
STORY = "أعلنت بلدية المدينة افتتاح جسر جديد فوق النهر بطول مئة وعشرين متراً."
OTHER = "قالت وزارة الصحة إن حملة التطعيم الجديدة ستبدأ الأسبوع المقبل في المدارس."


@pytest.fixture
def index(tmp_path):
    """The seeds, built from the command line (no origin an upload could claim)."""
    src = tmp_path / "seeds"
    shutil.copytree(SEEDS, src)
    add_paths(tmp_path / "index", [src], FakeEmbedder)
    return tmp_path / "index"


@pytest.fixture
def incoming(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def upload(index, files, owner="amina", **limits):
    return save_and_add([str(f) for f in files], FakeEmbedder, Config(index_dir=index, **limits), owner=owner)


def texts(index) -> dict[str, str]:
    return {d.doc_id: d.text for d in load_index(index).documents.values()}


def test_txt_named_like_a_built_document_is_refused_and_changes_nothing(index, incoming):
    before = texts(index)
    evil = incoming / f"{SEED}.txt"
    evil.write_text(STORY, "utf-8")
    result = upload(index, [evil])
    assert result.report is None and len(result.rejected) == 1
    assert "already has a document with the id" in result.rejected[0] and "file name" in result.rejected[0]
    assert texts(index) == before


def test_md_front_matter_id_of_an_existing_document_is_refused(index, incoming):
    before = texts(index)
    evil = incoming / "note.md"
    evil.write_text(f"---\nid: {SEED}\ntitle: x\n---\n{STORY}\n", "utf-8")
    result = upload(index, [evil])
    assert result.report is None and "the id inside the file" in result.rejected[0]
    assert texts(index) == before


def test_jsonl_record_with_an_existing_id_refuses_the_file(index, incoming):
    before = texts(index)
    evil = incoming / "feed.jsonl"
    evil.write_text(json.dumps({"id": "fresh", "text": OTHER}, ensure_ascii=False) + "\n"
                    + json.dumps({"id": SEED, "text": STORY}, ensure_ascii=False) + "\n", "utf-8")
    result = upload(index, [evil])
    assert result.report is None and SEED in result.rejected[0]
    assert texts(index) == before and "fresh" not in before


def test_another_users_upload_is_never_replaced_but_the_owner_may_update_it(index, incoming):
    mine = incoming / "bridge.txt"
    mine.write_text(STORY, "utf-8")
    assert upload(index, [mine], owner="amina").report.added == ("bridge",)
    theirs = incoming / "other" / "bridge.txt"
    theirs.parent.mkdir()
    theirs.write_text(OTHER, "utf-8")
    result = upload(index, [theirs], owner="omar")
    assert result.report is None and "another upload already has this file name" in result.rejected[0]
    assert texts(index)["bridge"] == STORY
    assert (index / UPLOADS_DIR / "bridge.txt").read_text("utf-8") == STORY  # the file itself too
    mine.write_text(STORY + " " + OTHER, "utf-8")
    assert upload(index, [mine], owner="amina").report.updated == ("bridge",)
    assert uploaded_by(index, "amina") == {"bridge"} and uploaded_by(index, "omar") == set()


def test_two_files_of_one_upload_cannot_claim_one_id(index, incoming):
    (incoming / "a").mkdir()
    first, second = incoming / "a.md", incoming / "a" / "b.md"
    first.write_text(f"---\nid: shared\n---\n{STORY}\n", "utf-8")
    second.write_text(f"---\nid: shared\n---\n{OTHER}\n", "utf-8")
    result = upload(index, [first, second])
    assert result.report.added == ("shared",) and len(result.rejected) == 1
    assert texts(index)["shared"].strip().endswith(STORY)


def test_limits_passages_and_messages_without_server_paths(index, incoming, tmp_path):
    long = incoming / "long.txt"
    long.write_text("\n".join(f"الجملة رقم {i} في تقرير طويل جداً عن الأحوال." for i in range(400)), "utf-8")
    broken = incoming / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    result = upload(index, [long, broken], upload_max_passages=5)
    assert result.report is None
    assert any(r.startswith("long.txt: too long (") and "at most 5" in r for r in result.rejected)
    assert any(r.startswith("broken.pdf") for r in result.rejected)
    for line in result.rejected:
        assert str(tmp_path) not in line and "/" not in line.split(":")[0]
    assert sorted(p.name for p in (index / UPLOADS_DIR).iterdir()) == []  # nothing kept


def test_duplicate_text_is_reported_by_file_name_only(index, incoming):
    dup = incoming / "copy.txt"
    shutil.copy(SEEDS / f"{SEED}.txt", dup)
    result = upload(index, [dup])
    assert result.report.duplicates == (("copy.txt", SEED),)
    assert result.to_dict()["duplicates"] == [{"file": "copy.txt", "doc_id": SEED}]


def test_unfinished_copies_are_swept(index, incoming):
    folder = index / UPLOADS_DIR
    good = incoming / "bridge.txt"
    good.write_text(STORY, "utf-8")
    upload(index, [good])
    (folder / "orphan.txt").write_text(OTHER, "utf-8")  # copied, then the server was killed
    (folder / ".1234.part").write_text("half", "utf-8")
    (folder / ".staging-dead").mkdir()
    with index_lock(index):
        assert sorted(sweep(index)) == [".1234.part", ".staging-dead", "orphan.txt"]
    assert sorted(p.name for p in folder.iterdir()) == [".owners.json", "bridge.txt"]


@contextmanager
def another_writer(index):
    """Another thread holds the index's write lock (an upload or `add` in progress) meanwhile."""
    events = threading.Event(), threading.Event()  # held, released

    def writer(held, release):
        with index_lock(index):
            held.set()
            release.wait(10)

    t = threading.Thread(target=writer, args=events)
    t.start()
    events[0].wait(10)
    try:
        yield
    finally:
        events[1].set()
        t.join()


def test_a_second_upload_while_one_runs_is_told_it_is_busy(index, incoming):
    good = incoming / "bridge.txt"
    good.write_text(STORY, "utf-8")
    with another_writer(index), pytest.raises(IndexBusyError, match="another task"):
        upload(index, [good])
    assert upload(index, [good]).report.added == ("bridge",)  # and goes through afterwards


def test_remove_only_your_own_uploads(index, incoming):
    good = incoming / "bridge.txt"
    good.write_text(STORY, "utf-8")
    upload(index, [good], owner="amina")
    with pytest.raises(AccessError):
        remove_upload(index, SEED, "amina")  # built by the administrator
    with pytest.raises(AccessError):
        remove_upload(index, "bridge", "omar")
    with pytest.raises(UnknownDocumentError):
        remove_upload(index, "nothing-here", "amina")
    assert remove_upload(index, "bridge", "amina")["removed"] == ["bridge"]
    assert "bridge" not in {d.doc_id for d in list_documents(index)}
    assert not (index / UPLOADS_DIR / "bridge.txt").exists()


def test_size_cap_per_file(index, incoming):
    big = incoming / "big.txt"
    big.write_text("نص " * 400_000, "utf-8")
    result = upload(index, [big], upload_max_mb=1)
    assert result.rejected == ("big.txt: larger than 1 MB",)
    assert not any(Path(index / UPLOADS_DIR).glob("big*"))


def test_gradio_temporary_copies_are_deleted_after_use(tmp_path, monkeypatch):
    from assistant.ui.upload import discard

    cache = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    copy = cache / "3f2a" / "report.txt"  # Gradio keeps each upload in a folder of its own
    copy.parent.mkdir(parents=True)
    copy.write_text(STORY, "utf-8")
    elsewhere = tmp_path / "user-file.txt"
    elsewhere.write_text(STORY, "utf-8")
    discard([str(copy), str(elsewhere)])
    assert not copy.exists() and not copy.parent.exists() and cache.exists()
    assert elsewhere.exists()  # only Gradio's own copies are touched
