"""Frame rules (kelisim.monitor.frames): a target plus a predicate class, over lemmas and moods.

Predicate classes and tiers: docs/classification.md (Dangerous Speech hallmarks, Benesch 2023;
Rabat Plan of Action para. 29; ECRI GPR 15). Russian lemmas and moods are checked against
pymorphy3 itself (M. Korobov, AIST 2015), the independent implementation behind
``lexicon/frames_ru_forms.tsv``; Kazakh moods against the affix tables of Krippes (1993), "Kazakh
grammar with affix list" (imperative -ңдар/-ңдер, hortative -айық/-ейік, jussive -сын/-сін,
negative -ма/-ме). Sentences are constructed by us (tests/fixtures/monitor/frames_dev_*.csv
and below); the dev sets were written together with the frame lexicon, so the floors only guard
against regressions.
"""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kelisim.cli import app
from kelisim.monitor.fairness import (
    HOSTILITY_SWAP_GOAL,
    TIER_SWAP_GOAL,
    fill_templates,
    swap_report,
)
from kelisim.monitor.frames import _rows, load_frames
from kelisim.monitor.morph import (
    KK_HORTATIVE,
    KK_IMPERATIVE,
    KK_NEGATIVE,
    generate_ru_forms,
    kk_readings,
    ru_forms,
)
from kelisim.monitor.rules import apply_rules
from monitor_fixtures import FIXTURES

SEVERE_RECALL_FLOOR = 0.85  # tier 4-5 sentences given tier >= 3 (issue 13 goal)
CALM_FLAGGED_CEILING = 0.02  # tier 0-1 sentences given tier >= 3
RELEVANCE_F1_FLOOR = 0.90


def frames_dev(language: str, name: str = "frames_dev") -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / f"{name}_{language}.csv", skiprows=1, keep_default_na=False)
    frame["relevant"] = frame["relevant"].astype(str).str.lower() == "true"
    return frame


def frame_hits(result, frame: str) -> list[dict]:
    return [hit for hit in result.hits if hit["rule"] == "frame:" + frame]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_dev_set_meets_the_issue_goals(language):
    frame = frames_dev(language)
    tiers = np.array([apply_rules(text, language).tier for text in frame["text"]])
    expected = frame["tier"].to_numpy()
    assert (tiers[expected >= 4] >= 3).mean() >= SEVERE_RECALL_FLOOR
    assert (tiers[expected <= 1] >= 3).mean() <= CALM_FLAGGED_CEILING
    relevant, flagged = frame["relevant"].to_numpy(), tiers > 0
    f1 = 2 * (relevant & flagged).sum() / (relevant.sum() + flagged.sum())
    assert f1 >= RELEVANCE_F1_FLOOR


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_varied_dev_set_catches_severe_speech(language):
    """frames_varied_*.csv: new wordings per frame and group; its calm look-alikes still hold
    one known false alarm per language (docs/classification.md, Frames), so only the severe and
    relevance goals are asserted here."""
    frame = frames_dev(language, "frames_varied")
    tiers = np.array([apply_rules(text, language).tier for text in frame["text"]])
    expected = frame["tier"].to_numpy()
    assert (tiers[expected >= 4] >= 3).mean() >= SEVERE_RECALL_FLOOR
    assert (tiers[expected == 3] >= 3).mean() >= SEVERE_RECALL_FLOOR
    relevant, flagged = frame["relevant"].to_numpy(), tiers > 0
    assert 2 * (relevant & flagged).sum() / (relevant.sum() + flagged.sum()) >= RELEVANCE_F1_FLOOR


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_dev_set_frames_name_their_class(language):
    frame = frames_dev(language)
    for text, expected in zip(frame["text"], frame["frame"], strict=True):
        if expected:
            rules = {hit["rule"].split(":")[-1] for hit in apply_rules(text, language).hits}
            # the class of a frame, or of a cue of cues.tsv ("dehumanisation_animal")
            assert any(rule.split("_")[0] == expected.split("_")[0] for rule in rules), text


def test_hit_names_target_and_spans():
    text = "Уйгуры переехали в наш район. Через год их стало больше. Они плодятся как крысы."
    result = apply_rules(text, "ru")
    assert result.tier == 4
    hits = frame_hits(result, "dehumanisation")
    assert {hit["phrase"] for hit in hits} == {"плодятся", "как крысы"}
    for hit in hits:
        assert hit["target"] == "uyghur" and hit["target_phrase"] == "Они"
        assert text[slice(*hit["span"])] == hit["phrase"]
        assert text[slice(*hit["target_span"])] == hit["target_phrase"]


@pytest.mark.parametrize(
    ("text", "language", "frame", "tier"),
    [
        ("Чеченцы живут рядом. Сегодня ночью мы их проучим.", "ru", "call_violence", 5),
        ("Tonight we teach them a lesson, those Uzbeks.", "en", "call_violence", 5),
        ("Орыстар келді. Оларды қуайық!", "kk", "call_expulsion", 5),
        ("Өзбектер өз елдеріне қайтсын.", "kk", "expulsion", 5),
        ("Let the Armenians go back where they came from.", "en", "expulsion", 5),
        ("Армяне пусть едут к себе домой.", "ru", "expulsion", 5),
        ("Parasites multiplying in our town.", "en", "dehumanisation", 4),
        ("Turks will take our land and replace us.", "en", "mirror", 4),
        ("Kurds are all the same, it is in their blood.", "en", "generalisation", 3),
        ("Uyghurs have no right to buy land here.", "en", "exclusion", 3),
        ("Таджики сплошь мошенники и жулики.", "ru", "criminalisation", 3),
        ("Ozbekter ury, bari birdei.", "kk", "criminalisation", 3),  # Kazakh Latin (2021)
        ("Орыстарды куындар, кеш болмай турганда!", "kk", "call_expulsion", 5),  # no kk letters
        ("Russians, pack your bags and get out!", "en", "expulsion", 5),  # a vocative
        ("Уйгуры купили полрайона. Скоро они нас всех отсюда выживут.", "ru", "mirror", 4),
        ("Узбеков в Шымкенте стало много. Сегодня ночью идём их бить.", "ru", "call_violence", 5),
        ("Qazaqtar keldi. Olardy quuymyz kerek.", "kk", "call_expulsion", 5),
        ("Шешендер ауылға келді. Оларды бүгін түнде сабаймыз.", "kk", "call_violence", 5),
        ("Koreans opened a shop. Let them go back where they came from.", "en", "expulsion", 5),
        ("Uyghurs should all be deported.", "en", "call_expulsion", 5),
        ("Турки должны быть выселены.", "ru", "call_expulsion", 5),
        ("Ұйғырлар тышқан құсап тез көбейеді.", "kk", "dehumanisation", 4),
        # Kazakh equative simile, in Cyrillic, typed without Kazakh letters and in Latin
        ("Дүнгендер тарақандай көбейіп жатыр.", "kk", "dehumanisation", 4),
        ("Дунгендер таракандай кобейип жатыр.", "kk", "dehumanisation", 4),
        ("Dungender taraqandai kobeiip jatyr.", "kk", "dehumanisation", 4),
        # a converb whose auxiliary is an infinitive before "керек"
        ("Түріктерді ауылдан қуып шығу керек.", "kk", "call_expulsion", 5),
        ("Армяндарды соғыңдар!", "kk", "call_violence", 5),  # соқ -> соғ before a vowel
        # an exclaimed infinitive opening the sentence, and noun slogans
        ("Выгнать всех курдов из города!", "ru", "call_expulsion", 5),
        ("Смерть таджикам!", "ru", "call_violence", 5),
        ("Death to the Tatars!", "en", "call_violence", 5),
        ("Ұйғырларға өлім!", "kk", "call_violence", 5),
        # negative traits of a whole group, and "что ни X, то Y"
        ("Немцы жадные и подлые.", "ru", "generalisation", 3),
        ("Что ни кореец, то жулик.", "ru", "generalisation", 3),
        ("Uzbeks are lazy and greedy.", "en", "generalisation", 3),
        # outgroup nouns as targets
        ("Кавказцы расплодились в нашем городе.", "ru", "dehumanisation", 4),
        ("Returnees are parasites.", "en", "dehumanisation", 4),
        ("Келімсектерді қуыңдар!", "kk", "call_expulsion", 5),
        ("Kazakhs want to drive us off our land.", "en", "mirror", 4),
        # a call verb said of "us" is accusation in a mirror
        ("Таджики хотят нас выселить из города.", "ru", "mirror", 4),
        ("The Kyrgyz are waiting to massacre us.", "en", "mirror", 4),
        ("Қытайлар бізді жерімізден қуады.", "kk", "mirror", 4),
    ],
)
def test_frames_by_class(text, language, frame, tier):
    result = apply_rules(text, language)
    assert result.tier == tier
    assert frame_hits(result, frame) or any(hit["rule"].endswith(frame) for hit in result.hits)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Давайте сожжём старые листья в саду.", "ru"),
        ("Надо убить время до поезда, пойдём в кино.", "ru"),
        ("Let's drive the car out of the garage and wash it.", "en"),
        ("Бақшадағы ескі жапырақтарды өртейік.", "kk"),
        ("Балалар сабақтан кейін үйге қайтсын.", "kk"),
        ("Они вернулись домой поздно вечером.", "ru"),
        ("Выгнать кота с кухни!", "ru"),
        ("Смерть пришла внезапно!", "ru"),
        ("Балалар тышқандай тыныш отырды.", "kk"),
        ("Снег должен исчезнуть к апрелю.", "ru"),
        ("My greedy landlord raised the rent again.", "en"),
    ],
)
def test_calls_without_a_target_are_not_hits(text, language):
    assert apply_rules(text, language).tier == 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Казахи побьют нас в финале.", "ru"),  # a game: no mirror
        ("The Kyrgyz will beat us in the final.", "en"),
        ("The Russian teacher kicked us out of the class for talking.", "en"),  # a weak mention
        ("Орыс мұғалімі бізді сыныптан қуып шықты.", "kk"),
        ("The disease spread among Kazakh children last winter.", "en"),
        ("Өзбек дәрігерлері індетпен күресуде.", "kk"),
        ("Змея укусила русского туриста под Алматы.", "ru"),
    ],
)
def test_calm_look_alikes_stay_below_hostility(text, language):
    assert apply_rules(text, language).tier < 3


def test_negated_and_reported_frames():
    for text, language in [
        ("Узбеки здесь. Не надо их выгонять.", "ru"),
        ("Ұйғырларды үйлерінен қумау керек.", "kk"),
        ("Russians are not thieves, stop generalising.", "en"),
        # a Russian loanword in a Kazakh sentence: the negation follows it
        ("Ұйғырлар паразит емес, біздің көршілеріміз.", "kk"),
        ("Қазақтар жалқау емес, еңбекқор халық.", "kk"),
    ]:
        result = apply_rules(text, language)
        assert result.tier == 1 and result.counter_speech, text
        assert any(hit["rule"].startswith("negated:frame:") for hit in result.hits), text
    reported = apply_rules("Полиция задержала блогера, писавшего, что узбеки плодятся.", "ru")
    assert reported.tier == 2
    assert any(hit["rule"] == "reported:frame:dehumanisation" for hit in reported.hits)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Называть узбеков ворами — несправедливо.", "ru"),
        ("Я не считаю, что казахи ленивые.", "ru"),
        ("Calling Uzbeks thieves is unfair.", "en"),
        ("I don't think Kazakhs are lazy at all.", "en"),
        ("Өзбектерді ұры деп айту — әділетсіздік.", "kk"),
        ("Ұйғырларды қуу керек деген пікірмен келіспейміз.", "kk"),
    ],
)
def test_rejected_generalisations_are_counter_speech(text, language):
    """Under tier 3, and counter-speech ("unfair" is also a grievance word: tier 2)."""
    result = apply_rules(text, language)
    assert result.tier <= 2 and result.counter_speech, text


def test_quarrel_counter_speech_is_relevant_and_low():
    for text, language in [
        ("Не надо превращать бытовую ссору в межнациональный конфликт.", "ru"),
        ("Don't turn a neighbours' quarrel into an ethnic conflict.", "en"),
        ("Тұрмыстық жанжалды ұлтаралық қақтығысқа айналдырмаңдар.", "kk"),
    ]:
        result = apply_rules(text, language)
        assert result.tier == 1 and result.counter_speech, text
        assert frame_hits(result, "counter_quarrel"), text


@pytest.mark.parametrize(
    ("text", "language", "frame"),
    [
        # the modal after its infinitive
        ("Курды опять тут. Гнать их нужно, и поскорее.", "ru", "call_expulsion"),
        # an infinitive opening a sentence is a command, "!" or not
        ("Уйгуры заняли весь рынок. Выселить их к чертям.", "ru", "call_expulsion"),
        # "пусть" reaches a coordinated verb
        ("Пусть армяне берут семьи и возвращаются к себе.", "ru", "expulsion"),
        # an English participle after "be" after a modal
        ("Those Tajiks should be resettled somewhere far away.", "en", "call_expulsion"),
        # a pronoun resolved to an outgroup noun of an earlier sentence
        ("Мигранты заняли весь двор. Выгнать их надо.", "ru", "call_expulsion"),
        # a Kazakh converb with the auxiliary шығар ("out") in a call form
        ("Қытайлар келді. Оларды ығыстырып шығарамыз.", "kk", "call_expulsion"),
    ],
)
def test_call_forms_beyond_the_modal_before_the_verb(text, language, frame):
    result = apply_rules(text, language)
    assert result.tier == 5, text
    assert frame_hits(result, frame), text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Nobody in this town wants to expel the Kazakhs.", "en"),
        ("Nobody is going to kick the Uzbeks out of the city.", "en"),
    ],
)
def test_a_negated_subject_negates_its_clause(text, language):
    result = apply_rules(text, language)
    assert result.tier == 1 and result.counter_speech, text


def test_single_quotation_marks_quote_a_hostile_phrase():
    result = apply_rules("Her post 'Kurds are parasites' got three hundred likes.", "en")
    assert result.tier == 2
    assert any(hit["rule"] == "reported:frame:dehumanisation" for hit in result.hits)
    assert apply_rules("The Kurds' houses are parasites' nests.", "en").tier == 4


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # a quarrel turned into a war between peoples, not only into an "ethnic conflict"
        ("Don't blow a parking row up into a war between Uzbeks and Tajiks.", "en"),
        ("Не превращайте эту драку в войну с дунганами.", "ru"),
        ("Көршілердің ұрысын ұйғырлармен соғысқа айналдырмаңдар.", "kk"),
        # a condemned quotation
        ("Пост «курды — паразиты» осудили все депутаты.", "ru"),
    ],
)
def test_warnings_and_condemnations_are_counter_speech(text, language):
    result = apply_rules(text, language)
    assert result.tier == 1 and result.counter_speech, text


def test_a_bare_rejection_answers_the_sentence_before():
    for text, language in [
        ("Говорят, что курды — воры? Это ложь.", "ru"),
        ("Somebody wrote that Tajiks are parasites; that is a lie.", "en"),
        ("Біреулер өзбектер ұры дейді. Бұл өтірік.", "kk"),
    ]:
        result = apply_rules(text, language)
        assert result.tier <= 2 and result.counter_speech, text
    # a rejection that does not open with an anaphor answers nothing
    kept = apply_rules("Уйгуры — воры. Гнать их. Стыдно, что власти молчат.", "ru")
    assert kept.tier == 5


def test_a_kazakh_quarrel_is_not_a_thief():
    """ұрыс (quarrel) + suffixes also reads as ұры (thief) + сы + н; the longer word wins."""
    for text in [
        "Көршілердің ұрысын ұйғырлармен байланыстырмаңдар.",
        "Коршилердин урысын уйгырлармен байланыстырмандар.",
    ]:
        assert apply_rules(text, "kk").tier < 3, text
    assert apply_rules("Ұйғырлар ұры, бәрі бірдей.", "kk").tier == 3


def test_rumours_are_reported_speech():
    result = apply_rules("Ходят слухи, что таджики хотят нас выжить из города.", "ru")
    assert result.tier == 2
    assert any(hit["rule"] == "reported:frame:mirror" for hit in result.hits)


def test_russian_forms_file_is_pymorphy3_output_for_the_current_lemmas():
    lemmas = load_frames().stems_of["ru"]
    assert ru_forms(lemmas) == generate_ru_forms(lemmas), (
        "lexicon/frames_ru_forms.tsv is stale: run `python -m kelisim.monitor.morph`"
    )
    forms = generate_ru_forms(frozenset({"выгнать", "гнать", "сжечь", "уехать"}))
    assert "plural1" in dict(forms["выгоним"])["выгнать"]
    assert "imperative" in dict(forms["гоните"])["гнать"]
    assert "plural1" in dict(forms["сожжем"])["сжечь"]
    assert "third" in dict(forms["уедут"])["уехать"]


@pytest.mark.parametrize(
    ("word", "stem", "mood"),
    [
        ("қуыңдар", "қу", KK_IMPERATIVE),
        ("кетсін", "кет", KK_IMPERATIVE),
        ("өлтірейік", "өлтір", KK_HORTATIVE),
        ("сабайық", "саба", KK_HORTATIVE),
        ("қуамыз", "қу", KK_HORTATIVE),
        ("қумаңдар", "қу", KK_NEGATIVE),
    ],
)
def test_kazakh_verb_moods(word, stem, mood):
    stems = frozenset({stem})
    heads = frozenset(stem[:k] for k in range(1, len(stem) + 1))
    assert (stem, mood) in kk_readings(word, stems, heads, "cyrillic")


def test_every_frame_row_parses():
    rows = _rows()
    assert {row["frame"] for row in rows} >= {
        "generalisation",
        "criminalisation",
        "exclusion",
        "expulsion",
        "dehumanisation",
        "mirror",
        "call_violence",
        "call_expulsion",
        "counter_quarrel",
    }
    assert all(row["lang"] in ("kk", "ru", "en") and row["pattern"] for row in rows)


def test_ethnonym_swaps_keep_tier_and_hostility():
    templates = pd.read_csv(FIXTURES / "fairness_templates.csv", comment="#")
    groups = pd.read_csv(FIXTURES / "fairness_groups.csv", comment="#")
    report = swap_report(fill_templates(templates, groups))
    assert report["sentences"] == len(templates) * len(groups)
    assert report["tier_changed"] <= TIER_SWAP_GOAL
    assert report["hostility_steady"] >= HOSTILITY_SWAP_GOAL
    assert max(report["false_positive_rate"].values()) == 0
    scored = report["scored"]
    hostile = scored[scored["expected"] >= 3]
    assert (hostile["tier"] >= 3).all()  # every group's hostile sentence is caught


def test_classify_keeps_labelled_columns_and_prefixes_collisions(tmp_path):
    table = tmp_path / "labelled.csv"
    table.write_text(
        "text,relevant,tier,note\n"
        "Узбеки — воры все до одного.,true,3,a\n"
        "Погода в Алматы хорошая.,false,0,b\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["monitor", "classify", str(table), "--format", "csv"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(pd.io.common.StringIO(result.output))
    assert out[["relevant", "tier", "note"]].astype(str).values.tolist() == [
        ["True", "3", "a"],
        ["False", "0", "b"],
    ]
    assert out["kelisim_tier"].tolist() == [3, 0]
    assert out["kelisim_relevant"].tolist() == [True, False]
    assert "hostility_score" in out.columns
