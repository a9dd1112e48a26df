"""A figure answers only what it counts, and claims compare by meaning (no model).

Sentences are written the way outlets write tolls, about invented events (not the seeds)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answer import Claim, compare
from assistant.answer.compare import resolve_date
from assistant.answer.figures import figure_spans
from assistant.answer.lexicon import fold, tokens
from assistant.answer.question import parse_question
from assistant.records import Source


def _values(question: str, sentence: str, speaker: str = "") -> list[str]:
    f = fold(sentence)
    return [s.value for s in figure_spans(parse_question(question), f, tokens(f), speaker)]


DEATHS, INJURED = "كم عدد القتلى؟", "كم عدد الجرحى؟"


@pytest.mark.parametrize("sentence, deaths, injured", [
    ("أسفر الحريق عن 15 قتيلاً و33 جريحاً", ["15"], ["33"]),  # the noun after the number
    ("أعلنت الشرطة مقتل 15 شخصاً وإصابة 33 آخرين", ["15"], ["33"]),  # the verbal noun before it
    ("قُتل 15 وأصيب 33 في الانفجار", ["15"], ["33"]),  # coordinated verbs, each its own figure
    ("أصيب 33 آخرون وقُتل 15 في الانفجار", ["15"], ["33"]),
    ("ارتفع عدد الضحايا إلى 12", ["12"], []),
    ("لقي 7 أشخاص حتفهم في الحادث", ["7"], []),
    ("ارتفعت حصيلة الوفيات إلى 20 حالة", ["20"], []),
    ("استشهد 3 مسعفين خلال القصف", ["3"], []),
    ("نُقل 40 مصاباً إلى المستشفيات", [], ["40"]),
    ("انقلبت حافلة تقل 40 راكباً على الطريق", [], []),  # passengers are no toll
    ("احتاجت فرق الإطفاء 6 ساعات للسيطرة على النيران", [], []),
    ("أودى الحادث بحياة 7 أشخاص", ["7"], []),
    ("أسفر عن سقوط 12 قتيلا وإصابة 40 بجروح", ["12"], ["40"]),
    ("بلغت حصيلة الضحايا 20 قتيلا و50 جريحا", ["20"], ["50"]),
    ("توفي 2 متأثرين بجراحهما", ["2"], []),
    ("لا يزال 5 أشخاص في عداد المفقودين", [], []),
    ("At least 12 people died and 30 were injured", ["At least 12"], ["30"]),
    ("Twelve people were killed and 30 injured", ["Twelve"], ["30"]),
])
def test_a_figure_counts_its_own_noun(sentence, deaths, injured):
    assert _values(DEATHS, sentence) == deaths
    assert _values(INJURED, sentence) == injured


def test_missing_counted_among_the_missing():
    assert _values("كم عدد المفقودين؟", "لا يزال 5 أشخاص في عداد المفقودين") == ["5"]


def test_the_counted_noun_and_the_party_come_from_the_question():
    s = "قُتل 4 أطفال و3 نساء في القصف، فيما قُتل 12 من عناصر الشرطة"
    assert _values("كم طفلاً قُتل؟", s) == ["4"]
    assert _values("كم عدد قتلى الشرطة؟", s) == ["12"]
    assert _values("كم راكباً كانت تقل الحافلة؟", "انقلبت حافلة تقل 40 راكباً على الطريق") == ["40"]
    assert _values("كم منزلاً دمرت الفيضانات؟", "وإن 200 منزل دمرت بالكامل") == ["200"]
    # a noun the vocabulary does not know is matched as written
    assert _values("كم مولداً تعطل؟", "تعطل 5 مولدات و3 مضخات") == ["5"]
    assert _values("كم مضخة تعطلت؟", "تعطل 5 مولدات و3 مضخات") == ["3"]
    assert _values("كم سيارة إسعاف وصلت؟", "تعطل 5 مولدات و3 مضخات") == []


def test_a_party_named_by_initials_or_by_a_generic_noun():
    s = "قتل 9 من عناصر قوات الدفاع المدني"
    assert _values("كم عدد قتلى قدم؟", s) == ["9"]
    assert _values("كم عدد قتلى قدم؟", "قتل 9 من عناصر الشرطة") == []


def test_how_long_is_not_how_many():
    s = "استمرت عمليات الإنقاذ 3 أيام وانتشلت 17 جثة"
    assert _values("كم يوماً استمرت عمليات الإنقاذ؟", s) == ["3"]
    assert "3" not in _values("كم عدد الضحايا؟", s)


def test_a_share_of_the_counted_group_is_a_vague_figure():
    """"ضبط جميع المحتجزين الفارين": all of them were caught, an answer to how many were caught."""
    asked = "كم عدد المحتجزين الذين فروا من مركز التوقيف، وهل أعيد القبض عليهم؟"
    assert _values(asked, "وفي النهاية، تم ضبط جميع المحتجزين الفارين، ونقلوا إلى مركز آخر.") == ["جميع"]
    assert _values(asked, "وأعيد القبض على معظم المحتجزين الفارين خلال يومين") == ["معظم"]
    assert _values(asked, "تم ضبط جميع الأسلحة المهربة") == []  # weapons are not detainees
    assert _values("كم عدد الجرحى؟", "وتم ضبط جميع المحتجزين الفارين") == []
    # "ضبط" (caught) is an arrest: the figure after it answers "were they caught again?"
    assert _values("كم عدد المحتجزين الذين أعيد القبض عليهم؟", "وتم ضبط جميع المحتجزين، ونقلوا إلى مركز آخر.") \
        == ["جميع"]


def test_a_share_says_no_size():
    """"جميع الفارين" vs "40" or "عشرات": a share of a group is consistent with any number."""
    assert compare([_claim("x", None, "all", value="جميع"), _claim("y", 40, value="40")]) == "agree"
    assert compare([_claim("x", None, "most", value="معظم"), _claim("y", None, "dozens", value="عشرات")]) == "agree"


def _claim(doc: str, number: float | None, qualifier: str = "", high: float | None = None, value: str = "",
           published: dt.date | None = None, sentence: str = "") -> Claim:
    return Claim(Source(doc, f"{doc}.txt"), "", sentence, value, 0, 0, doc, number=number, qualifier=qualifier,
                 high=high, published=published)


@pytest.mark.parametrize("a, b, agreement", [
    ((60, "more than"), (75, ""), "agree"), ((60, "more than"), (40, ""), "differ"),
    ((None, "dozens"), (40, ""), "agree"), ((None, "dozens"), (800, "more than"), "differ"),
    ((3500, "about"), (None, "thousands"), "agree"), ((3500, "about"), (2000, ""), "differ"),
    ((20, "between", 30), (25, ""), "agree"), ((20, "between", 30), (31, ""), "differ"),
])
def test_numbers_compare_as_ranges(a, b, agreement):
    assert compare([_claim("x", *a), _claim("y", *b)]) == agreement


def test_dates_compare_as_days():
    friday = dt.date(2025, 3, 14)
    assert resolve_date("صباح اليوم الجمعة", friday) == friday
    assert resolve_date("أمس الجمعة", dt.date(2025, 3, 15)) == friday
    assert resolve_date("الخميس الماضي", dt.date(2025, 3, 15)) == dt.date(2025, 3, 13)
    assert resolve_date("14 آذار/مارس 2025") == friday
    assert resolve_date("14/03/2025") == friday
    assert resolve_date("الخميس الماضي") == 3  # a Thursday, which one unknown
    today = _claim("x", None, value="صباح اليوم الجمعة", published=friday)
    yesterday = _claim("y", None, value="أمس الجمعة", published=dt.date(2025, 3, 15))
    assert compare([today, yesterday], "date") == "agree"
    assert compare([today, _claim("z", None, value="أمس", published=friday)], "date") == "differ"
    thursday = _claim("t", None, value="الخميس الماضي")
    assert compare([thursday, _claim("u", None, value="20 كانون الثاني 2022")], "date") == "agree"
    assert compare([thursday, _claim("u", None, value="اليوم الاثنين", published=friday)], "date") == "differ"


def test_places_and_names_by_containment():
    assert compare([_claim("x", None, value="سوق أريحا"), _claim("y", None, value="أريحا")], "place") == "agree"
    assert compare([_claim("x", None, value="حمص"), _claim("y", None, value="حماة")], "place") == "differ"


def test_yes_no_statements_agree_unless_denied():
    said = _claim("x", None, sentence="وأكدت المصادر مقتل مدير المصنع")
    also = _claim("y", None, sentence="بينهم مدير المصنع")
    denied = _claim("z", None, sentence="ونفت الشركة مقتل مدير المصنع")
    assert compare([said, also], "yesno") == "agree"
    assert compare([said, denied], "yesno") == "differ"


def _spans(question: str, sentence: str, fit: bool = False) -> list:
    from assistant.answer.spans import typed_spans

    f = fold(sentence)
    return [(s.value, s.fit) if fit else s.value for s in typed_spans(parse_question(question), f, tokens(f))]


def test_english_figure_cue_after_an_attribution():
    q = parse_question("According to the police, how many rebel fighters were killed?")
    assert q.kind == "figure" and q.counted == {"fighter"} and q.party == (("rebel",),) and q.noun == ""


def test_which_noun_questions_ask_for_a_name():
    q = parse_question("أي وزارة أعلنت الحصيلة؟")
    assert q.kind == "name"
    assert _spans("أي وزارة أعلنت الحصيلة؟", "وأعلنت الوزارة الصحية الحصيلة مساء") == ["الوزارة الصحية"]
    assert _spans("أي مخيم استقبل النازحين؟", "ووصل النازحون إلى “مخيم النور” قرب المدينة") == ["مخيم النور"]
    assert parse_question("في أي مدينة وقع الحادث؟").kind == "place"  # a place noun stays a place
    assert parse_question("في أي قريتين وقع الهجوم؟").kind == "place"  # its dual too


def test_a_name_after_what_is_named_outranks_one_after_another_word():
    s = "وقال قائد فرق الإنقاذ، سليم داود، إن عملية “الأمل الأخير” مستمرة"
    assert _spans("ما اسم عملية الإنقاذ؟", s)[0] == "الأمل الأخير"
    # "مدير الشركة، X،": X is the manager's name, not the company's
    s = "وقال مدير الشركة، ماهر سليم، إن العمل توقف"
    assert _spans("أي شركة تدير المصنع؟", s) == []
    assert _spans("من هو مدير الشركة؟", s, fit=True)[0] == ("ماهر سليم", 1.0)
    assert _spans("من يدير الشركة؟", "ويدير الشركة المهندس ماهر سليم منذ عامين")[0].startswith("الشركة المهندس")


def test_name_given_by_ism_where_the_named_thing_is_mentioned():
    assert _spans("ما اسم الحملة؟", "وأطلق الجيش على الحملة اسم “درع المدينة”") == ["درع المدينة"]
    assert _spans("ما اسم مدير المصنع؟", "وأطلق الجيش على الحملة اسم “درع المدينة”") == []


def test_who_questions_read_after_the_verb_or_the_copula():
    assert _spans("مَن اتهم الشركة بالإهمال؟", "وجاء ذلك بعد اتهام النقابة الشركة بالإهمال.")[0].startswith("النقابة")
    assert _spans("من هم العالقون؟", "وأوضح المدير أن العالقين هم عمال الصيانة وسائقو العربات.") == [
        "عمال الصيانة وسائقو العربات"]


def test_what_came_next_questions():
    assert parse_question("ما الخطوة التالية بعد إغلاق الطريق؟").sequel
    assert parse_question("What happened after the roads were closed?").sequel
    assert not parse_question("كم قتيلا سقط بعد الانفجار؟").sequel  # a figure, counted after


def test_another_one_is_no_count():
    assert _values("كم محوراً هوجم المصنع؟", "من جهة أخرى هاجم المسلحون المصنع") == []
    assert _values("كم محوراً هوجم المصنع؟", "هاجم المسلحون المصنع من جهتين") == ["جهتين"]


def test_an_apposition_names_the_head_of_a_long_genitive_only_when_it_is_the_asked_one():
    s = "وقال مدير المركز الإعلامي لـ“قوات الدفاع المدني”، سامر خليل، إن العمل مستمر"
    assert _spans("من هو مدير المركز الإعلامي لقوات الدفاع المدني؟", s, fit=True)[0] == ("سامر خليل", 1.0)
    assert _spans("ما اسم مدير المصنع؟", s) == []  # another manager's name


def test_who_did_it_is_no_count_no_next_verb_and_no_other_title():
    assert _spans("من قتل مدير المصنع؟", "وقُتل 12 عاملاً في المصنع") == []  # passive, with a count
    assert _spans("من قتل مدير المصنع؟", "واقتحم المسلحون المصنع وقتل وأسر العديد من الحراس") == []
    s = "وقال مدير المركز الإعلامي لـ“قوات الدفاع المدني”، سامر خليل، إن العمل مستمر"
    assert _spans("من قتل مدير المصنع؟", s) == []  # the manager of something else
    assert _spans("من قتل مدير المصنع؟", "وقال الشهود: قتل المسلحون مدير المصنع ليلاً")[0].startswith("المسلحون")


def test_who_announced_is_not_when():
    assert _spans("من أعلن الحصيلة؟", "وكان المركز أعلن أمس السبت الحصيلة") == []


def test_when_it_started_is_the_time_after_since():
    """"متى بدأت X": "منذ صباح الأحد" (since Sunday morning) says when, before a duration ("منذ 5 سنوات")."""
    from assistant.answer.spans import says_since

    sentence = "وتتواصل الاحتجاجات، الأكبر منذ 5 سنوات، في شوارع المدينة منذ صباح الأحد"
    assert _spans("متى بدأت الاحتجاجات في المدينة؟", sentence)[0] == "صباح الأحد"
    assert _spans("متى اندلع الحريق؟", "اندلع الحريق فجر اليوم") == ["فجر اليوم"]
    started, happened = parse_question("متى بدأت الاحتجاجات؟"), parse_question("متى وقعت الاحتجاجات؟")
    f = fold(sentence)
    assert says_since(started, f) and not says_since(happened, f)  # "since" stands for the asked "started"
    assert not says_since(started, fold("وهي الأكبر منذ 5 سنوات"))  # a duration says no start
    assert _spans("متى بدأ الإضراب؟", "الإضراب، الأطول منذ 3 أشهر، مستمرٌّ في المصانعِ ومنذُ مساءِ الأحد")[0] == "مساءِ الأحد"


def test_who_holds_a_title_is_named_only_where_the_title_is_said():
    s = "وقال مدير المصنع، ماهر سليم، إن الحريق اندلع في المخزن، بحسب وكيل الشركة، سامر خليل، في المساء"
    assert _spans("من هو مدير المصنع؟", s)[0] == "ماهر سليم"
    # no minister in the sentence: the names after its other words ("الشركة، X،") are not the minister's
    assert _spans("من هو وزير الصناعة الذي زار الشركة؟", s) == []
    assert _spans("من كان وزير الصناعة؟", s) == []
    assert _spans("من يدير الشركة؟", "ويدير الشركة المهندس ماهر سليم منذ عامين")  # a verb: read after it


def test_a_plural_relational_adjective_after_the_counted_noun_says_whose_they_are():
    q = parse_question("كم عدد الجنود الأمريكيين الذين قتلوا؟")
    assert q.counted == {"soldier"} and q.party == (("الامريكيين",),)
    assert _values("كم عدد الجنود الأمريكيين الذين قتلوا؟", "قتل 3 جنود أمريكيين في الهجوم") == ["3"]
    assert _values("كم عدد الجنود الأمريكيين الذين قتلوا؟", "قتل 40 من قوات الأمن في الهجوم") == []
    assert parse_question("كم عدد القتلى المدنيين؟").party == ()  # a counted group of its own, not whose


def test_the_lasting_verb_says_a_span_is_asked_not_of_what():
    from assistant.answer.question import lasting

    q = parse_question("كم يوما استمر الإضراب؟")
    assert q.duration and lasting(q).words == ("الاضراب",)  # the sentence must say the strike, not "lasted"
    assert lasting(parse_question("كم يوماً دامت المواجهات خارج المدينة؟")).words == ("المواجهات", "خارج", "المدينه")
    assert parse_question("How long did the strike last?").duration
    assert not parse_question("كم عدد القتلى؟").duration
    assert not parse_question("كم طالبا أصيب؟").duration  # "طالبا" is no "طال"
    assert parse_question("كم ساعة استغرقت عملية الإنقاذ؟").duration


def test_a_part_of_the_toll_answers_only_a_question_about_that_part():
    s = "وأضافت المصادر أن بين القتلى 9 أطفال كانوا نائمين في منازلهم"
    assert _values("كم عدد القتلى؟", s) == []  # the toll is not 9
    assert _values("كم طفلا قتل؟", s) == ["9"]
    assert _values("كم عدد القتلى؟", "قتل 35 شخصا بينهم 9 أطفال") == ["35"]
    assert _values("كم عدد الأطفال القتلى؟", "قتل 35 شخصا من بينهم 9 أطفال") == ["9"]
    assert _values("كم عدد القتلى؟", "قتل بين 20 و30 شخصا في الانفجار") == ["بين 20 و30"]  # a range


def test_an_event_verb_is_known_in_its_other_forms():
    assert _values("كم عدد المباني التي انهارت؟", "انهار نحو 300 مبنى في الأحياء القديمة") == ["نحو 300"]
    assert _values("كم منزلا دمرته السيول؟", "ودمرت السيول 40 منزلا في القرية") == ["40"]


def test_how_much_did_it_reach_asks_for_what_follows_the_verb():
    assert _values("كم بلغت حصيلة القتلى؟", "وارتفعت حصيلة القتلى إلى 48 قتيلا") == ["48"]
    assert _values("كم تبلغ حصيلة الجرحى؟", "وأصيب 120 شخصا بجروح") == ["120"]


def test_a_decimal_is_one_number():
    from assistant.answer.claims import find_figures

    def numbers(text):
        f = fold(text)
        return [x.number for x in find_figures(f, tokens(f))]

    assert numbers("ضرب زلزال بقوة 6.2 درجات") == [6.2] and numbers("بلغت 6٫5 درجات") == [6.5]
    assert numbers("قتل 12. 5 منهم أطفال") == [12, 5]  # a full stop between two sentences
    assert numbers("يبلغ عدد سكانها 254.000 نسمة") == [254, 0]  # thousands grouped: left apart, as "1,500"


def test_a_square_or_a_street_is_a_place_and_the_asked_kind_comes_first():
    s = "خرج آلاف المحتجين إلى شوارع العاصمة، وتجمع معظمهم في ساحة الحرية وسط المدينة"
    assert "ساحة الحرية" in _spans("أين تجمع المحتجون؟", s)
    assert _spans("في أي ساحة تجمع المحتجون؟", s)[0] == "ساحة الحرية"
    assert parse_question("في أي ساحة تجمع المحتجون؟").kind == "place"


def test_a_part_of_a_group_answers_a_question_that_names_its_noun():
    assert _values("كم قاصرا اعتقل؟", "اعتقلت الشرطة 150 متظاهرا بينهم 20 قاصرا") == ["20"]


def test_families_are_counted_and_an_event_of_the_clause_before_is_not_theirs():
    s = "أعلن الهلال الأحمر أن عدد الضحايا بلغ 52 قتيلا و200 جريح، وأن نحو 5000 عائلة نزحت من منازلها"
    assert _values("كم عائلة نزحت؟", s) == ["نحو 5000"]
    assert _values("كم عدد الأسر النازحة؟", s) == ["نحو 5000"]
    assert _values("How many families were displaced?", s) == ["نحو 5000"]
    assert _values("كم عدد الجرحى؟", s) == ["200"]
