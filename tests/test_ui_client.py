"""The UI's named API endpoints through gradio_client, against the app launched on localhost.

Integration tests use the real model on the seeds index; the live-reload and load tests use the
fake embedder on a tmp corpus (they test the serving, not retrieval quality).
"""

from __future__ import annotations

import html
import re
import socket
import threading
import urllib.parse
from pathlib import Path

import gradio_client
import pytest
from conftest import launch_ui

TOO_LONG = "ما " * 5000  # 10,000 characters


@pytest.fixture(scope="module")
def client(seeds_ui_url):
    return gradio_client.Client(seeds_ui_url, verbose=False)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of this machine's TCP sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            local, _, state = row.split()[1:4]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)  # stored as 32-bit words in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, raw))
    return found


def _other_local_addresses() -> set[str]:
    """This machine's own IPv4 addresses outside 127.0.0.0/8 (from the kernel's local routes)."""
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    ours = {lines[i - 1].split()[-1] for i, line in enumerate(lines) if "/32 host LOCAL" in line}
    return {a for a in ours if not a.startswith("127.")}


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.integration
def test_server_binds_localhost_only(seeds_ui_url):
    """Where the launched server really listens: 127.0.0.1 only, not this machine's other addresses."""
    port = urllib.parse.urlsplit(seeds_ui_url).port
    assert _listening_addresses(port) == {"127.0.0.1"}
    assert _accepts("127.0.0.1", port)
    for address in _other_local_addresses():
        assert not _accepts(address, port), f"the UI answers on {address}:{port}"


@pytest.mark.integration
def test_search_endpoint_returns_cited_passages(client):
    out = client.predict("كم عدد قتلى قوات سوريا الديمقراطية في هجوم سجن الصناعة؟", 3, [], api_name="/search")
    assert out["error"] is None and 1 <= len(out["results"]) <= 3
    top = out["results"][0]
    assert {"title", "outlet", "date", "file", "doc_id"} <= set(top["source"])
    assert top["source"]["file"].endswith(".txt") and top["end"] > top["start"]
    assert any("قسد" in r["text"] or "قوات سوريا الديمقراطية" in r["text"] for r in out["results"])
    for r in out["results"]:  # the evidence sentence lies inside its passage, in document offsets
        ev = r["evidence"]
        assert r["start"] <= ev["start"] < ev["end"] <= r["end"]


@pytest.mark.integration
def test_search_filter_restricts_to_one_outlet(client):
    out = client.predict("عدد القتلى", 5, ["outlet:الأمصار"], api_name="/search")
    assert out["results"] and {r["source"]["outlet"] for r in out["results"]} == {"الأمصار"}


@pytest.mark.integration
def test_reprinted_statement_is_shown_once_with_also_in(client):
    out = client.predict("تفجير سيارة مفخخة عند البوابة الرئيسية للسجن", 5, [], api_name="/search")
    folded = [r for r in out["results"] if r["also_in"]]
    assert folded, "the SDF statement reprinted by two outlets should be folded into one result"
    for r in folded:
        assert all(a["source"]["doc_id"] != r["source"]["doc_id"] for a in r["also_in"])
    shown = {(r["source"]["doc_id"], r["start"]) for r in out["results"]}
    assert not shown & {(a["source"]["doc_id"], a["start"]) for r in folded for a in r["also_in"]}
    assert all(a["end"] > a["start"] and a["source"]["file"].endswith(".txt") for r in folded for a in r["also_in"])


@pytest.mark.integration
@pytest.mark.parametrize("question", ["", "   ", TOO_LONG])
def test_bad_questions_get_a_friendly_message(client, question):
    out = client.predict(question, 5, [], api_name="/search")
    assert out["results"] == [] and ("فارغ" in out["error"] or "طويل" in out["error"])
    ask = client.predict(question, 8, api_name="/ask")
    assert ask["found"] is False and ask["error"]


@pytest.mark.integration
def test_citation_opens_the_whole_document_with_the_passage_marked(client):
    view = client.predict("السيارات المفخخة", 3, [], api_name="/search_view")
    cite = html.unescape(re.search(r'data-cite="([^"]+)"', view).group(1))
    doc = client.predict(cite, "السيارات المفخخة", api_name="/document")
    doc_id, start, end = cite.split("|")[:3]
    marked = re.search(r'<mark class="passage">(.*?)</mark>(?!</mark>)', doc, re.S)
    assert marked and 'class="doc-view"' in doc
    assert len(re.sub(r"<[^>]+>", "", doc)) > int(end) - int(start)  # the whole document, not the passage


@pytest.mark.integration
def test_ask_endpoint_answers_with_numbered_citations(client):
    out = client.predict("كم عدد قتلى قوات سوريا الديمقراطية؟", 8, api_name="/ask")
    assert out["error"] is None and out["found"] is True and out["agreement"] == "differ"
    # the SDF statement's 40 (000) and 121 (002), the Asayish's 23 (003), the SDF media centre's 17 (004)
    claimed = {(c["source"]["doc_id"], c["value"]) for c in out["claims"]}
    assert {("000_d04d6feca1dbbff6", "40"), ("002_dbe807e5f2018a14", "121"),
            ("003_3e8898654369a8c4", "23")} <= claimed
    assert any(doc == "004_d2567ad61da955ee" and "17" in value for doc, value in claimed)
    # every cited sentence is in the passage its number points to, at the stated offsets
    assert out["answer"]
    for s in out["answer"]:
        passage = out["passages"][s["citation"] - 1]
        assert passage["rank"] == s["citation"]
        assert passage["start"] <= s["start"] < s["end"] <= passage["end"]
        assert passage["text"][s["start"] - passage["start"]:s["end"] - passage["start"]] == s["text"]
    forty = next(s for s in out["answer"] if "قتل 40 من قوات سوريا الديمقراطية" in s["text"])
    assert out["passages"][forty["citation"] - 1]["source"]["doc_id"] == "000_d04d6feca1dbbff6"
    assert forty["text"][forty["span"]["start"] - forty["start"]:forty["span"]["end"] - forty["start"]] == "40"


@pytest.mark.integration
def test_ask_says_when_nothing_relevant_is_found(client):
    out = client.predict("ما هي أفضل وصفة لكعكة الشوكولاتة بالفراولة؟", 8, api_name="/ask")
    assert out["found"] is False


@pytest.mark.integration
def test_chat_keeps_the_conversation(client):
    history, box, refs = client.predict("كم سيارة مفخخة استخدمت في الهجوم؟", [], api_name="/chat")
    assert box == "" and [m["role"] for m in history] == ["user", "assistant"]
    first = str(history[1]["content"])
    # a found answer: cited sentences and the sources' differing counts (SANA's two cars, Amaq's two trucks)
    assert "لم أجد" not in first and "&#91;1&#93;" in first and "المصادر تختلف" in first
    assert "سيارتين مفخختين" in first and "شاحنتين مفخختين" in first
    cites = [html.unescape(c) for c in re.findall(r'class="cite" data-cite="([^"]+)"', refs)]
    assert cites and {"003_3e8898654369a8c4", "004_d2567ad61da955ee"} <= {c.split("|")[0] for c in cites}
    history2, _, _ = client.predict("كم عدد الفارين من السجن؟", history, api_name="/chat")
    assert [m["role"] for m in history2] == ["user", "assistant"] * 2
    assert history2[:2] == history
    second = str(history2[3]["content"])
    assert "لم أجد" not in second and "&#91;1&#93;" in second
    assert "أكثر من 800" in second and "عشرات" in second  # Amaq's claim against the Observatory's


# Serving behaviour with the fake embedder (no model): live index updates and 20 users at once.
@pytest.fixture
def tmp_app(tmp_path, fake_embedder):
    from assistant.sources import read_documents
    from assistant.store import build_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("هاجم التنظيم سجن الصناعة في الحسكة ليلاً.", "utf-8")

    def rebuild():
        build_index(read_documents([folder]), fake_embedder, tmp_path / "index", source_roots=[str(folder)])

    rebuild()
    demo, url = launch_ui(tmp_path / "index", fake_embedder)
    yield url, folder, rebuild
    demo.close()


def test_ui_sees_index_updates_without_restart(tmp_app):
    url, folder, rebuild = tmp_app
    c = gradio_client.Client(url, verbose=False)

    def texts():
        return [r["text"] for r in c.predict("القامشلي", 5, [], api_name="/search")["results"]]

    assert not any("القامشلي" in t for t in texts())
    (folder / "b.txt").write_text("وصلت تعزيزات إلى القامشلي صباح اليوم.", "utf-8")
    rebuild()
    assert any("القامشلي" in t for t in texts())


def test_twenty_simultaneous_users_are_served(tmp_app):
    url = tmp_app[0]
    errors, done = [], []

    def user(i):
        try:
            c = gradio_client.Client(url, verbose=False)
            out = c.predict(f"سجن الصناعة {i}", 3, [], api_name="/search")
            done.append(bool(out["results"]))
        except Exception as exc:  # any failure is what this test looks for
            errors.append(repr(exc))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and done == [True] * 20
