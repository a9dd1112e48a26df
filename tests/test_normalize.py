"""Each normalisation rule, with real Arabic from the seeds."""

from assistant.normalize import STOPWORDS, analyze, normalize_arabic, stem_tokens, strip_article, tokenize


def test_harakat_and_shadda_removed():
    assert normalize_arabic("السِّجن") == "السجن"
    assert normalize_arabic("شَنَّ إرهابيّو") == "شن ارهابيو"
    assert normalize_arabic("طوقٍ أمنيٍّ") == "طوق امني"  # tanwin kasra + shadda


def test_superscript_alef_removed():
    assert normalize_arabic("هٰذا الرحمٰن") == "هذا الرحمن"


def test_tatweel_removed():
    assert normalize_arabic("داعـــش") == "داعش"


def test_alef_forms_unified():
    assert normalize_arabic("أعلنت إرهابيي آخر ٱلدولة") == "اعلنت ارهابيي اخر الدوله"


def test_alef_maqsura_becomes_ya():
    assert normalize_arabic("مستشفى على إلى") == "مستشفي علي الي"


def test_ta_marbuta_becomes_ha():
    assert normalize_arabic("الحسكة مدينة") == "الحسكه مدينه"


def test_arabic_indic_and_persian_digits():
    assert normalize_arabic("الساعة ال٧ ومن ٣ محاور") == "الساعه ال7 ومن 3 محاور"
    assert normalize_arabic("۱۲۳") == "123"


def test_arabic_punctuation():
    assert normalize_arabic("قسد، داعش؛ لماذا؟") == "قسد, داعش; لماذا?"


def test_latin_casefold_and_mixed_text():
    assert normalize_arabic("مليشيا PKK") == "مليشيا pkk"


def test_normalisation_never_adds_characters():
    text = "“قسد” تعلن عن تفاصيل هجوم “داعش” على سجن الصناعة بالحسكة ٢٠٢٢"
    assert len(normalize_arabic(text)) <= len(text)


def test_the_one_table_folds_every_character_as_the_rules_do():
    from assistant.normalize import _CHAR_MAP, _DIACRITICS, _TATWEEL

    def by_rules(text: str) -> str:
        return _DIACRITICS.sub("", text).replace(_TATWEEL, "").translate(_CHAR_MAP).casefold()

    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert normalize_arabic(everything) == by_rules(everything)
    assert normalize_arabic("أَعلنـت الشرطة ٣ «قتلى»") == by_rules("أَعلنـت الشرطة ٣ «قتلى»")


def test_tokenize_keeps_words_with_diacritics():
    # bm25s's default regex would drop words carrying harakat; ours must not.
    assert tokenize("شَنَّ إرهابيّو “داعش” هجوماً") == ["شن", "ارهابيو", "داعش", "هجوما"]


def test_stopwords_are_normalised_forms():
    assert "الي" in STOPWORDS and "علي" in STOPWORDS and "في" in STOPWORDS
    assert "إلى" not in STOPWORDS  # stored normalised, matched after normalisation


def test_stemming_joins_inflections():
    stems = stem_tokens(tokenize("بالحسكة الحسكة السجن بالسجن"))
    assert stems[0] == stems[1] and stems[2] == stems[3]


def test_analyze_pipeline():
    assert analyze("في السِّجن") == analyze("السجن")
    assert analyze("في السِّجن", stem=False) == ["السجن"]


def test_article_prefixes_stripped_before_stemming():
    assert strip_article("والسجن") == "سجن" and strip_article("بالحسكه") == "حسكه"
    assert strip_article("الا") == "الا"  # too short to be article + stem
    stems = stem_tokens(tokenize("السجن بالسجن والسجن للسجن"))
    assert len(set(stems)) == 1


def test_the_tanween_alif_does_not_reach_the_stemmer():
    # "سجيناً" is "سجين" in the accusative: with its alif Snowball read "نا" as "our" and stemmed "سجي"
    assert analyze("كم سجيناً فاراً") == analyze("كم سجين فار") == ["سجين", "فار"]
    assert analyze("سجينًا") == ["سجين"]  # the mark before the alif, as some keyboards type it
    assert analyze("قتيلاً") == analyze("قتيلا") == ["قتيل"]
    assert analyze("سجينا") == ["سجي"]  # unmarked: "our prisoner" or the accusative; left to the stemmer
    assert tokenize("سجيناً") == ["سجينا"]  # matching and display keep every letter


def test_strip_article_takes_the_longest_prefix_that_leaves_two_letters():
    from assistant.normalize import _ARTICLE_PREFIXES

    def longest_first(token: str) -> str:
        for prefix in _ARTICLE_PREFIXES:
            if token.startswith(prefix) and len(token) - len(prefix) >= 2:
                return token[len(prefix):]
        return token

    heads = [""] + list(_ARTICLE_PREFIXES) + ["و", "ل", "ا", "ب"]
    tokens = [h + h2 + tail for h in heads for h2 in heads for tail in ("", "س", "سج", "سجن", "لسجن")]
    assert [strip_article(t) for t in tokens] == [longest_first(t) for t in tokens]
    assert strip_article("للسجن") == "سجن" and strip_article("والي") == "والي"
