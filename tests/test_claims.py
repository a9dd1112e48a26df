"""Figures, dates, speakers and question analysis on real Arabic sentences (no model)."""

from __future__ import annotations

import pytest

from assistant.answer import Claim, compare
from assistant.answer.claims import find_attributions, find_dates, find_figures, resolve_generic
from assistant.answer.figures import figure_spans
from assistant.answer.lexicon import fold, tokens
from assistant.answer.question import parse_question
from assistant.answer.spans import typed_spans
from assistant.records import Source

SDF = "قوات سوريا الديمقراطية"


def _figures(text: str) -> list[tuple[str, float | None, str]]:
    f = fold(text)
    return [(text[x.start:x.end], x.number, x.qualifier) for x in find_figures(f, tokens(f))]


def _speakers(text: str) -> list[str]:
    f = fold(text)
    return [a.speaker for a in find_attributions(f, tokens(f)) if a.named]


def test_fold_keeps_offsets_through_diacritics_and_digits():
    text = "تفجير سيّارة مفخّخة ومن ٣ محاور"
    f = fold(text, base=100)
    assert f.text == "تفجير سياره مفخخه ومن 3 محاور"
    a = f.text.index("مفخخه")
    start, end = f.span(a, a + len("مفخخه"))
    assert text[start - 100:end - 100] == "مفخّخة"


@pytest.mark.parametrize("text, expected", [
    ("فيما قتل 40 من قوات سوريا الديمقراطية جراء الاشتباكات", [("40", 40.0, "")]),
    ("إلى مقتل أكثر من 200 عنصر من “قسد” بينهم مدير السجن", [("أكثر من 200", 200.0, "more than")]),
    ("فبعد استسلام ثلاثمئة عنصر من إرهابيي داعش", [("ثلاثمئة", 300.0, "")]),
    ("وعند السّاعة ال٧ مساءً", [("٧", 7.0, "")]),
    ("في ظل وجود عشرات السجناء طلقين", [("عشرات", None, "dozens")]),
    ("إلقاء القبض على نحو 100 سجين", [("نحو 100", 100.0, "about")]),
    ("أعلن أمس السبت، مقتل17 من عناصرها", [("17", 17.0, "")]),
    ("قتل خمسة وعشرون عنصرا", [("خمسة وعشرون", 25.0, "")]),
    # a share of a definite group is a vague figure of it; "جميعاً", "كل يوم", "كل من" are none
    ("تمكنت الشرطة من توقيف جميع المحتجزين الهاربين", [("جميع", None, "all")]),
    ("ونجا معظم الركاب من الحادث", [("معظم", None, "most")]),
    ("وأفرج عن كافة الموقوفين", [("كافة", None, "all")]),
    ("لقوا حتفهم جميعاً في الحادث", []),
    ("يستقبل المستشفى المصابين كل يوم", []),
    ("وطالب كل من شارك في الاحتجاج", []),
])
def test_find_figures(text, expected):
    assert _figures(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("قالت “قسد”: بتاريخ 20 كانون الثّاني / يناير 2022، وعند السّاعة ال٧ مساءً، وعبر تخطيط",
     ["20 كانون الثّاني / يناير 2022، وعند السّاعة ال٧ مساء"]),
    ("وكان المركز الإعلامي أعلن أمس السبت، مقتل17", ["أمس السبت"]),
    ("فإن الهجوم على سجن غويران بدأ الخميس الماضي، بتفجير", ["الخميس الماضي"]),
    ("منذ القضاء على تنظيم داعش في آذار/مارس من العام 2019.", ["آذار/مارس من العام 2019"]),
    ("حيث قتل 77 من العاملين في مؤسسات السجن والحراس", []),
    ("عند البوابة الرئيسية", []),
])
def test_find_dates(text, expected):
    assert [text[a:b] for a, b in find_dates(fold(text))] == expected


@pytest.mark.parametrize("text, expected", [
    ("وأسفرت الاشتباكات، حسب الوكالة، إلى مقتل أكثر من 200 عنصر", ["الوكالة"]),
    ("وزعمت رواية التنظيم، إطلاق سراح “أكثر من 800 أسير”", ["التنظيم"]),  # a statement noun is no speaker
    ("وكان “المركز الإعلامي لقوات سوريا الديمقراطية”، أعلن أمس السبت، مقتل17 من عناصرها",
     ["المركز الإعلامي لقوات سوريا الديمقراطية"]),
    ("وأكد المرصد السوري لحقوق الإنسان، هروب عناصر من تنظيم داعش", ["المرصد السوري لحقوق الإنسان"]),
    ("لكن وكالة الأنباء السورية أكدت أن محاولة تهريب عناصر داعش تمت", ["وكالة الأنباء السورية"]),
    ("وحسبما نقلت الوكالة عن “مصدر عسكري” في التنظيم، فإن الهجوم", ["الوكالة عن مصدر عسكري"]),
    ("وفي تفاصيل الهجوم قالت “قسد”: بتاريخ 20 كانون الثاني", ["قسد"]),
    ("وكان قائد “قسد”، مظلوم عبدي، قد قال في تغريدة", ["قائد قسد، مظلوم عبدي"]),
    ("وكان المرصد السوري قد رصد، إصابة عدد من عناصر قوى الأمن الداخلي", ["المرصد السوري"]),
    ("ولفتت إلى أن تنظيم داعش عمد إلى تصفية 77 من العاملين", []),
    ("وأضاف لوكالة “anha”: “لم يتبق إلا بعض الأفراد”", []),
    # not from the seeds: the patterns are general
    ("وصرح الناطق الرسمي باسم الجيش أن القوات استعادت السيطرة", ["الناطق الرسمي باسم الجيش"]),
    ("وبحسب وزارة الصحة، بلغ عدد الضحايا 12 شخصا", ["وزارة الصحة"]),
])
def test_find_attributions(text, expected):
    assert _speakers(text) == expected


def test_generic_speaker_resolves_to_the_name_given_earlier():
    doc = ("نشرت وكالة “أعماق“، التابعة لما يُسمى بتنظيم “الدولة الإسلامية”، تفاصيل الاقتحام.\n"
           "وأسفرت الاشتباكات، حسب الوكالة، إلى مقتل أكثر من 200 عنصر.\nوزعمت رواية التنظيم، إطلاق سراح 800.")
    assert resolve_generic("الوكالة", doc, doc.index("وأسفرت")) == "الوكالة (وكالة أعماق)"
    assert resolve_generic("رواية التنظيم", doc, doc.index("وزعمت")) == \
        "رواية التنظيم (تنظيم الدولة الإسلامية)"
    assert resolve_generic("البيان", "لا شيء هنا. ", 10, previous="قسد") == "البيان (قسد)"
    assert resolve_generic("المرصد السوري", doc, len(doc)) == "المرصد السوري"


@pytest.mark.parametrize("question, kind", [
    ("كم عدد قتلى قوات سوريا الديمقراطية؟", "figure"), ("متى بدأ الهجوم؟", "date"),
    ("من هو قائد قسد؟", "name"), ("أين يقع سجن الصناعة؟", "place"),
    ("لماذا أحرق المهاجمون صهاريج النفط؟", "cause"), ("How many SDF fighters were killed?", "figure"),
    ("ما عدد السيارات المفخخة؟", "figure"), ("ما هي عاصمة اليابان؟", "other"),
])
def test_question_kind(question, kind):
    assert parse_question(question).kind == kind


def test_question_concepts_and_parties():
    q = parse_question("كم عدد قتلى قسد؟")
    assert q.concepts == {"death"} and q.party == (("قسد",),) and q.words == ()
    q = parse_question("كم عدد السيارات المفخخة؟")
    assert q.concepts == {"vehicle", "bomb"} and q.counted == {"vehicle"} and q.party == ()
    q = parse_question("كم قُتل من قوات سوريا الديمقراطية وحراس السجن والعاملين فيه خلال الهجوم؟")
    assert q.party == (("قوات", "سوريا", "الديمقراطيه"), ("حراس", "السجن"), ("العاملين",))
    assert q.words == ("الهجوم",)  # context, not the party
    q = parse_question("كم مدنياً قُتل في أحداث السجن؟")
    assert q.counted == {"civilian"} and q.events == {"death"} and q.party == ()
    assert parse_question("How many ISIS fighters were killed?").party == (("isis",),)


def _values(question: str, sentence: str, speaker: str = "") -> list[str]:
    f = fold(sentence)
    return [s.value for s in figure_spans(parse_question(question), f, tokens(f), speaker)]


SENT_000 = ("حيث قتل 77 من العاملين في مؤسسات السجن والحراس، فيما قتل 40 من قوات سوريا الديمقراطية "
            "جراء الاشتباكات والمعارك خارج السِّجن التي استمرّت 7 أيّام، إلى جانب مقتل 4 مدنيين، كما بلغ "
            "عدد قتلى تنظيم داعش الارهابي 374.")


def test_figure_follows_the_party_asked_about():
    assert _values("كم عدد قتلى قوات سوريا الديمقراطية؟", SENT_000) == ["40"]
    assert _values("كم عدد قتلى داعش؟", SENT_000) == ["374"]
    assert _values("كم عدد المدنيين الذين قتلوا؟", SENT_000) == ["4"]
    assert _values("كم يوما استمرت المعارك؟", SENT_000) == ["7"]


def test_figure_rejects_the_other_side_and_other_events():
    said_by_sdf = "وكانت قد أعلنت قوات سوريا الديمقراطية، عن مقتل 23 عنصرا من داعش في الهجوم على السجن"
    assert _values("كم عدد قتلى قسد؟", said_by_sdf) == []
    own = ("وكان المركز الإعلامي لقوات سوريا الديمقراطية، أعلن أمس السبت، مقتل17 من عناصرها خلال "
           "الاشتباكات مع التنظيم، إضافة إلى إصابة 23 آخرين من مقاتلين وموظفين مدنيين.")
    speaker = "المركز الإعلامي لقوات سوريا الديمقراطية"
    assert _values("كم عدد قتلى قسد؟", own, speaker) == ["17"]
    assert _values("كم عدد الجرحى من قسد؟", own, speaker) == ["23"]
    assert _values("كم عدد قتلى قسد؟", own) == []  # whose "عناصرها" are is the speaker's


def test_small_numbers_written_on_the_noun():
    assert _values("كم عدد السيارات المفخخة؟", "بعد تفجير سيارتين مفخختين.") == ["سيارتين مفخختين"]
    assert _values("كم عدد السيارات المفخخة؟", "عمد داعش إلى تفجير سيّارة مفخّخة عند البوابة") == \
        ["سيّارة مفخّخة"]
    assert _values("كم عدد السيارات المفخخة؟", "وأحرقوا السيارات في المكان") == []


def test_typed_spans_for_names_and_causes():
    q = parse_question("من هو قائد قسد؟")
    f = fold("وكان قائد “قسد”، مظلوم عبدي، قد قال في تغريدة")
    assert typed_spans(q, f, tokens(f))[0].value == "مظلوم عبدي"
    q = parse_question("لماذا أحرق المهاجمون صهاريج النفط؟")
    f = fold("وأحرقوا صهاريج النفط بداخلها بغية التعمية على طيران التحالف”.")
    assert typed_spans(q, f, tokens(f))[0].value == "بغية التعمية على طيران التحالف"


def _claim(doc: str, number: float | None, qualifier: str = "") -> Claim:
    return Claim(Source(doc, f"{doc}.txt"), "", "", "", 0, 0, doc, number=number, qualifier=qualifier)


def test_compare_sources():
    assert compare([]) == "none"
    assert compare([_claim("a", 40)]) == "single"
    assert compare([_claim("a", 40), _claim("b", 121)]) == "differ"
    assert compare([_claim("a", 374), _claim("b", 374)]) == "agree"
    assert compare([_claim("a", None, "dozens"), _claim("b", 800, "more than")]) == "differ"
    assert compare([_claim("a", None, "thousands"), _claim("b", 3500, "about")]) == "agree"
    assert compare([_claim("a", 200, "more than"), _claim("b", 17)]) == "differ"
