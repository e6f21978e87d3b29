"""Evidence sentences per competency from transcripts, zh and en (shared/data/highlight_lexicon.json)."""

from __future__ import annotations

from shared.scoring.highlights import Lexicon, default_lexicon, highlights, sentences
from shared.taxonomy import default_taxonomy


def test_every_taxonomy_code_has_zh_and_en_phrases():
    lex = default_lexicon()
    assert set(lex.codes()) == set(default_taxonomy().competencies)


def test_sentences_split_zh_and_en():
    text = "我们团队一起解决了问题。压力很大！但我很冷静\nWe met the deadline. It was hard"
    assert sentences(text) == [
        "我们团队一起解决了问题。",
        "压力很大！",
        "但我很冷静",
        "We met the deadline.",
        "It was hard",
    ]


def test_zh_transcript_yields_ranked_evidence():
    # Given an answer about teamwork under pressure
    answers = [
        {
            "question_id": "q1",
            "transcript": "上个月项目截止前压力很大。我带领团队一起分工合作，最后按时交付。天气不错。",
        }
    ]
    # When highlights are extracted
    found = highlights(answers)
    # Then the teamwork sentence is found with the phrases that matched, the weather is not
    team = found["teamwork"]
    assert team[0]["sentence"] == "我带领团队一起分工合作，最后按时交付。"
    assert set(team[0]["terms"]) >= {"团队", "一起", "分工", "合作"}
    assert found["stress_tolerance"][0]["sentence"] == "上个月项目截止前压力很大。"
    assert found["leadership"][0]["question_id"] == "q1"
    assert all("天气" not in h["sentence"] for hs in found.values() for h in hs)


def test_en_phrases_match_word_starts_case_insensitively():
    answers = [{"question_id": "1", "transcript": "I Collaborated with my colleagues. The recollaboration was not it."}]
    found = highlights(answers, codes=["teamwork"])
    assert [h["sentence"] for h in found["teamwork"]] == ["I Collaborated with my colleagues."]


def test_at_most_three_per_competency_best_first():
    lex = Lexicon.from_data({"competencies": {"teamwork": {"zh": ["团队", "合作"], "en": []}}})
    text = "团队一。团队二。团队合作三。团队四。团队五。"
    found = highlights([{"question_id": "q", "transcript": text}], lex)
    assert [h["sentence"] for h in found["teamwork"]] == ["团队合作三。", "团队一。", "团队二。"]


def test_erased_or_missing_transcripts_give_nothing():
    assert highlights([{"question_id": "q", "transcript": None}, {"question_id": "r"}]) == {}
