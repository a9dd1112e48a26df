"""UI rendering and handlers without a browser or the model: escaping, highlighting, citations,
near-duplicate folding, friendly messages (fake embedder over a small tmp index)."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from assistant.answer import Answer, AnswerSentence, Claim
from assistant.normalize import normalize_with_offsets
from assistant.records import Hit, Passage, Source
from assistant.reprints import fold_hits
from assistant.ui.render import document_html, esc, highlight, term_spans
from assistant.ui.views import (
    NOT_FOUND,
    answer_markdown,
    parse_cite,
    references_html,
    results_html,
)

PAYLOAD = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> ${alert(1)} **b**'


def _no_live_markup(html: str) -> None:
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html


def test_esc_neutralises_html_markdown_and_templates():
    out = esc(PAYLOAD)
    _no_live_markup(out)
    assert "${" not in out and "**" not in out and '"' not in out


def test_normalized_offsets_point_back_to_the_original():
    text = "خارج السِّجن التي استمرّت"
    norm, origin = normalize_with_offsets(text)
    assert norm == "خارج السجن التي استمرت"
    assert len(origin) == len(norm)
    assert [text[i] for i in origin][5:10] == list("السجن")  # harakat dropped, letters kept in place
    assert origin[9] == text.index("ن", 5)


def test_question_words_match_through_harakat_and_clitics():
    text = "خارج السِّجن التي استمرّت، والسجن بالسجن وسجناء آخرون في المدينة"
    spans = term_spans(text, "ما هو السجن؟")
    assert [text[a:b] for a, b in spans] == ["السِّجن", "والسجن", "بالسجن"]
    assert term_spans(text, "في ما هو") == []  # stopwords alone highlight nothing


def test_highlight_escapes_between_marks():
    html = highlight("<b>السجن</b> & السِّجن", "السجن")
    assert html == ('&lt;b&gt;<mark class="hl">السجن</mark>&lt;/b&gt; &amp; '
                    '<mark class="hl">السِّجن</mark>')


def test_document_marks_the_passage_in_place():
    text = "مقدمة " + PAYLOAD + "\nهاجم التنظيم السِّجن ليلاً.\nخاتمة"
    start = text.index("هاجم")
    end = text.index("ليلاً.") + len("ليلاً.")
    html = document_html(text, start, end, question="السجن", span=(text.index("السِّجن"), end - 1))
    _no_live_markup(html)
    assert htmllib.unescape(re.sub(r"<[^>]+>", "", html)) == text  # every character, once, in order
    assert ('<mark class="passage">هاجم التنظيم <mark class="answer-span">'
            '<mark class="hl">السِّجن</mark>') in html
    assert html.endswith('.</mark>\nخاتمة</div>')


def test_document_clamps_bad_offsets():
    html = document_html("نص قصير", -5, 999)
    assert '<mark class="passage">نص قصير</mark>' in html


def test_cite_roundtrip_and_rejects_garbage():
    assert parse_cite("doc_1|10|20") == ("doc_1", 10, 20, None)
    assert parse_cite("doc_1|10|20|12|15") == ("doc_1", 10, 20, (12, 15))
    with pytest.raises(ValueError):
        parse_cite("doc_1|ten|20")
    with pytest.raises(ValueError):
        parse_cite("nothing")


def _cites(html: str) -> list[str]:
    return [htmllib.unescape(c) for c in re.findall(r'data-cite="([^"]+)"', html)]


def _hit(doc_id: str, text: str, rank: int = 1, start: int = 0, title: str = "") -> Hit:
    p = Passage(f"{doc_id}:{start}", doc_id, start, start + len(text), text)
    return Hit(rank, 1.0 / rank, p, Source(doc_id, f"{doc_id}.txt", title or doc_id, "وكالة", ""))


STATEMENT = ("في بداية الهجوم عمد داعش إلى تفجير سيّارة مفخّخة عند البوّابة الرّئيسيّة للسِّجن، ومن ثلاثة محاور "
             "شنّوا الهجوم على السِّجن، في مسعى للسيطرة عليه، بالتّزامن مع ذلك شَنَّ الآلاف من المعتقلين "
             "في السِّجن هجوماً على العاملين فيه")


def test_reprinted_passages_from_other_documents_fold_into_one_result():
    reprint = "وأضاف البيان: " + STATEMENT.replace("سيّارة", "سيارة") + " كما قالت قسد."
    other = "أعلن المرصد السوري ارتفاع حصيلة القتلى إلى 70 بينهم عناصر من قوى الأمن الداخلي."
    same_doc = STATEMENT  # a repeat inside the same document is not a cross-outlet reprint
    hits = fold_hits([_hit("a", STATEMENT, 1), _hit("b", reprint, 2),
                      _hit("c", other, 3), _hit("a", same_doc, 4, start=900)])
    assert [h.passage.doc_id for h in hits] == ["a", "c", "a"] and [h.rank for h in hits] == [1, 2, 3]
    assert [(r.source.doc_id, r.start, r.end) for r in hits[0].also_in] == [("b", 0, len(reprint))]
    html = results_html(hits, "السجن", {"a": STATEMENT})
    assert "ورد أيضاً في" in html and html.count('class="result"') == 3
    assert f"b|0|{len(reprint)}" in _cites(html)  # the reprint's own offsets


def test_the_evidence_span_is_marked_inside_the_passage():
    from dataclasses import replace

    hit = _hit("a", STATEMENT, 1, start=100)
    sentence = STATEMENT.index("ومن ثلاثة")
    evidence = (100 + sentence, 100 + sentence + 40)
    html = results_html([replace(hit, evidence=evidence)], "السجن", {})
    assert html.count('<mark class="evidence">') == 1
    marked = html.split('<mark class="evidence">')[1].split("</mark>")[0]
    assert marked.startswith("ومن ثلاثة") and "السِّجن" in html
    assert '<mark class="evidence">' not in results_html([hit], "السجن", {})


def test_results_escape_corpus_text_and_titles():
    hit = _hit("x", "قبل " + PAYLOAD + " بعد", title="<b>عنوان</b>")
    html = results_html(fold_hits([hit]), "قبل", {})
    _no_live_markup(html)
    assert "&lt;b&gt;عنوان" in html and _cites(html) == ["x|0|98"]


def _answer(found: bool) -> Answer:
    text = "قُتل 40 من قوات سوريا الديمقراطية " + PAYLOAD
    hit = _hit("d", text, title="بيان")
    sentences = (AnswerSentence(text, 1, 0, len(text), 5, 7, hit),) if found else ()
    claim = Claim(hit.source, "قسد", text, "40", 0, len(text), "d", value_start=5, value_end=7)
    claims = (claim,) if found else ()
    return Answer("كم قتيلاً؟", sentences, claims, "differ" if found else "none", (hit,) if found else ())


def test_answer_markdown_cites_and_expands_references():
    md = answer_markdown(_answer(True))
    _no_live_markup(md)
    assert "\n" not in md  # one HTML line, so Markdown keeps it as one block
    assert "&#91;1&#93;" in md and "<details" in md and "<summary>" in md
    assert "المصادر تختلف" in md and "<b>قسد</b>" in md
    assert '<mark class="answer-span">40</mark>' in md  # the claimed figure, marked in its sentence
    refs = references_html(_answer(True))
    assert _cites(refs) == ["d|0|124|5|7"]


def test_answer_not_found_says_so():
    assert NOT_FOUND in answer_markdown(_answer(False))
    assert "<details" not in answer_markdown(_answer(False))


# Handlers over a real (small) index built with the fake embedder: no model needed.
@pytest.fixture
def service(tmp_path, fake_embedder):
    from assistant.config import Config
    from assistant.sources import read_documents
    from assistant.store import build_index
    from assistant.ui.service import UIService

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "evil.txt").write_text("هجوم على السجن في الحسكة.\n" + PAYLOAD + "\nانتهى الهجوم.", "utf-8")
    (folder / "plain.txt").write_text("أعلنت قوات سوريا الديمقراطية السيطرة على السِّجن بعد أيام.", "utf-8")
    build_index(read_documents([folder]), fake_embedder, tmp_path / "index", source_roots=[str(folder)])
    return UIService(Config(index_dir=tmp_path / "index", uploads=0), embedder=fake_embedder)


@pytest.mark.parametrize("question", ["", "   \n\t", "س" * 10_000])
def test_bad_questions_get_a_friendly_message(service, question):
    html = service.search(question, 5)
    assert 'class="notice"' in html and ("فارغ" in html or "طويل" in html)
    assert service.search_api(question)["error"]
    assert service.chat(question, [])[0] == []


def test_search_filter_and_citation_open_the_document(service):
    html = service.search("السجن", 5)
    cites = _cites(html)
    assert len(cites) == 2
    only_plain = service.search("السجن", 5, ["doc:plain"])
    assert _cites(only_plain) == [c for c in cites if c.startswith("plain|")]
    evil = next(c for c in cites if c.startswith("evil|"))
    doc = service.open_citation(evil, "السجن")
    _no_live_markup(doc)
    assert '<mark class="passage">' in doc and "انتهى الهجوم" in doc
    assert "تعذّر" in service.open_citation("missing|0|5")
    assert ("الوثيقة: هجوم على السجن في الحسكة.", "doc:evil") in service.filter_choices()
    assert "evil.txt" in service.sources() and "<td>1</td>" in service.sources()


def test_library_errors_reach_the_page_as_friendly_text(service, monkeypatch):
    """Any AssistantError in a handler is shown as a message (escaped), never a Gradio error."""
    from assistant.errors import IndexBusyError, IndexStateError

    def broken():
        raise IndexStateError("index in x is corrupt <b>; rebuild it with: assistant build")

    monkeypatch.setattr(service.live, "current", broken)
    html = service.search("السجن", 5)
    assert 'class="notice"' in html and "تعذّر" in html and "&lt;b&gt;" in html and "<b>" not in html
    assert "corrupt" in service.search_api("السجن")["error"]
    assert "corrupt" in service.ask_api("السجن")["error"]
    history, kept, refs = service.chat("السجن", [])
    assert history == [] and kept == "السجن" and "تعذّر" in refs

    def busy():
        raise IndexBusyError("index is being updated by another assistant process (pid 1)")

    monkeypatch.setattr(service.live, "current", busy)
    assert "⏳" in service.search("السجن", 5)


def test_example_questions_come_from_the_collection(service, tmp_path, fake_embedder):
    import gradio as gr

    from assistant.config import Config
    from assistant.sources import read_documents
    from assistant.store import build_index
    from assistant.ui.layout import layout
    from assistant.ui.service import UIService

    def buttons(svc):
        demo = layout(svc)
        return [b.value for b in demo.blocks.values()
                if isinstance(b, gr.Button) and "example" in (b.elem_classes or [])]

    assert service.examples() == [] and buttons(service) == []  # no examples.txt: no example buttons
    folder = tmp_path / "with-examples"
    folder.mkdir()
    (folder / "a.txt").write_text("أعلنت البلدية افتتاح الجسر الجديد.", "utf-8")
    build_index(read_documents([folder]), fake_embedder, tmp_path / "index2", examples=("متى افتتح الجسر؟",))
    other = UIService(Config(index_dir=tmp_path / "index2", uploads=0), embedder=fake_embedder)
    assert other.examples() == ["متى افتتح الجسر؟"]
    assert buttons(other) == ["متى افتتح الجسر؟", "متى افتتح الجسر؟"]  # the search tab's and the chat's


def test_chat_asks_each_question_with_the_earlier_ones_as_typed(service, monkeypatch):
    """The chat is a conversation: each answer gets the earlier questions (unescaped), oldest first."""
    seen = []
    real = service.answer

    def answer(question, k=None, previous=()):
        seen.append((question, list(previous)))
        return real(question, k, previous)

    monkeypatch.setattr(service, "answer", answer)
    history, *_ = service.chat("كم عدد القتلى <في> الهجوم؟", [])
    history, *_ = service.chat("وماذا عن الجرحى؟", history)
    service.chat("ومتى؟", history)
    assert seen == [("كم عدد القتلى <في> الهجوم؟", []),
                    ("وماذا عن الجرحى؟", ["كم عدد القتلى <في> الهجوم؟"]),
                    ("ومتى؟", ["كم عدد القتلى <في> الهجوم؟", "وماذا عن الجرحى؟"])]


def test_a_word_with_tanween_in_the_question_highlights_its_plain_form():
    text = "أعيد القبض على نحو 100 سجين."
    a, b = term_spans(text, "كم سجيناً أعيد القبض عليه؟")[-1]
    assert text[a:b] == "سجين"
