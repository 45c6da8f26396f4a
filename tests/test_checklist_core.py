"""The checklist walk as a pure state machine, and every assessment rule (mini knowledge base)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trafficking_ref.core import checklist as ck
from trafficking_ref.core.assessment import Observation, evaluate, summarize
from trafficking_ref.loading.knowledge import load_knowledge, read_layer_files, resolve_layers

MINI = Path(__file__).parent / "fixtures" / "mini-kb"


@pytest.fixture(scope="module")
def kb():
    layers = resolve_layers([], {"TRAFFICKING_REF_BUILTIN_DIR": str(MINI)})
    knowledge, _ = load_knowledge(read_layer_files(layers))
    return knowledge


def _walk(kb, setting="hospitality", person="unknown"):
    return ck.Walk(tuple(ck.select_indicators(kb, setting, person)))


def test_selection_fits_setting_and_person(kb):
    school_minor = [i.id for i in ck.select_indicators(kb, "school", "minor")]
    assert "much-older-partner" in school_minor
    assert "excessive-hours" not in school_minor  # adults only, and not a school sign
    assert "do-not-disturb-always" not in school_minor  # hotel sign
    adult = [i.id for i in ck.select_indicators(kb, "hospitality", "adult")]
    assert "minor-selling-sex" not in adult
    assert "excessive-hours" in adult


def test_selection_groups_by_category_strongest_first(kb):
    chosen = ck.select_indicators(kb, "hospitality", "unknown")
    from trafficking_ref.core import vocab

    order = [list(vocab.CATEGORIES).index(i.category) for i in chosen]
    assert order == sorted(order)
    for a, b in zip(chosen, chosen[1:]):
        if a.category == b.category:
            assert vocab.STRENGTH_ORDER[a.strength] <= vocab.STRENGTH_ORDER[b.strength]


def test_selection_length_prefers_setting_specific(kb):
    chosen = ck.select_indicators(kb, "school", "minor", length=2)
    assert len(chosen) == 2
    assert all("school" in i.settings for i in chosen)


def test_type_filter(kb):
    assert all("labor" in i.types for i in ck.select_indicators(kb, None, "unknown", "labor"))


def test_answer_advances_and_records(kb):
    walk = _walk(kb)
    first = walk.current
    walk = walk.answer("y")
    assert walk.answers == {first.id: "y"}
    assert walk.position == 1
    assert walk.progress == (2, len(walk.questions))


def test_back_returns_and_keeps_answer_until_changed(kb):
    walk = _walk(kb).answer("y").answer("n")
    walk = walk.answer("b")
    assert walk.position == 1
    second = walk.current
    walk = walk.answer("u")
    assert walk.answers[second.id] == "u"
    assert _walk(kb).answer("b").position == 0  # back at the start stays at the start


def test_skip_help_and_quit(kb):
    walk = _walk(kb)
    assert walk.answer("?") == walk
    skipped = walk.answer("s")
    assert skipped.answers[walk.current.id] == "s"
    quit_ = skipped.answer("q")
    assert quit_.quit and quit_.finished
    assert quit_.answer("b").quit is False  # back after quit resumes the walk


def test_unknown_choice_is_refused(kb):
    with pytest.raises(ValueError):
        _walk(kb).answer("yes please")


def test_walk_finishes_and_lists_answers(kb):
    walk = _walk(kb)
    for choice in ["y", "u"] + ["n"] * len(walk.questions):
        walk = walk.answer(choice)
    assert walk.finished and not walk.quit
    assert walk.ids_with("y") == [walk.questions[0].id]
    assert walk.ids_with("u") == [walk.questions[1].id]


def test_resume_starts_at_first_unanswered(kb):
    questions = ck.select_indicators(kb, "hospitality", "unknown")
    walk = ck.Walk.resume(questions, [questions[0].id], [questions[1].id])
    assert walk.position == 2
    assert walk.ids_with("y") == [questions[0].id]


def _level(kb, **kwargs):
    level, rules = evaluate(kb, Observation(**kwargs))
    return level, [r.id for r in rules]


def test_rule_immediate_danger_comes_first(kb):
    level, rules = _level(kb, immediate_danger=True, person="adult",
                          observed=("someone-else-holds-id", "excessive-hours"))
    assert level == "emergency"
    assert rules[0] == "immediate-danger"
    assert "two-strong" in rules  # what to do once everyone is safe


def test_rule_minor_commercial_sex_reports_even_alone(kb):
    assert _level(kb, person="minor", observed=("talks-about-quota",)) == (
        "report", ["minor-commercial-sex"])


def test_rule_minor_commercial_sex_covers_unknown_age(kb):
    assert _level(kb, person="unknown", observed=("talks-about-quota",))[0] == "report"


def test_rule_commercial_sex_for_adult_is_not_automatic(kb):
    assert _level(kb, person="adult", observed=("talks-about-quota",)) == ("consult", [
        "any-sign"])


def test_rule_two_strong(kb):
    assert _level(kb, person="adult", observed=("someone-else-holds-id", "excessive-hours")) == (
        "report", ["two-strong"])


def test_rule_one_sign_consults(kb):
    assert _level(kb, person="adult", observed=("avoids-eye-contact",)) == ("consult", ["any-sign"])


def test_rule_unsure_consults(kb):
    assert _level(kb, unsure=("avoids-eye-contact",)) == ("consult", ["unsure"])


def test_rule_nothing_observed_monitors(kb):
    assert _level(kb) == ("monitor", ["nothing"])


def test_summary_routes_referrals_with_reasons(kb):
    summary = summarize(kb, Observation(country="US", person="minor", immediate_danger=True,
                                        observed=("minor-selling-sex",)))
    ids = [r.referral.id for r in summary.referrals]
    assert ids[0] == "us-911"
    assert ids.index("us-child-protection") < ids.index("us-hotline")
    assert all(r.why for r in summary.referrals)
    assert summary.emergency.id == "us-911"
    assert "gb-999" not in ids and "eu-112" not in ids


def test_emergency_and_hotline_listed_even_when_nothing_observed(kb):
    summary = summarize(kb, Observation(country="US"))
    assert [r.referral.id for r in summary.referrals] == ["us-911", "us-hotline"]
    assert summary.referrals[0].why == ("if anyone is in danger at any point, call at once",)
    assert "not a determination" in summary.disclaimer


def test_emergency_heads_the_list_without_danger(kb):
    summary = summarize(kb, Observation(country="US", person="adult",
                                        observed=("avoids-eye-contact",)))
    assert summary.referrals[0].referral.id == "us-911"


def test_no_emergency_listed_for_a_country_without_one(kb):
    summary = summarize(kb, Observation(country="NZ"))
    assert summary.emergency is None
    assert summary.referrals == ()


def test_eu_member_gets_eu_wide_emergency(kb):
    summary = summarize(kb, Observation(country="DE", immediate_danger=True))
    assert summary.emergency.id == "eu-112"


def test_next_steps_fit_the_person(kb):
    adult = summarize(kb, Observation(person="adult", observed=("avoids-eye-contact",)))
    assert [g.id for g in adult.next_steps] == ["talk-adult", "report-hotline"]
    minor = summarize(kb, Observation(person="minor", observed=("avoids-eye-contact",)))
    assert [g.id for g in minor.next_steps] == ["talk-minor", "report-hotline"]


def _kb_of(*indicators):
    from trafficking_ref.core.kb import KnowledgeBase

    kb = KnowledgeBase(layers=("built-in",), content_hash="x")
    for i in indicators:
        kb.indicators[i.id] = i
    return kb


def _ind(entry_id, category, settings, strength="strong"):
    from trafficking_ref.core.kb import Indicator

    return Indicator(entry_id, entry_id, "d", category, ("sex",), tuple(settings), "any",
                     strength, ("s",))


def test_short_list_prefers_signs_particular_to_the_setting():
    kb = _kb_of(
        _ind("general", "control", ["school", "hospitality", "healthcare", "retail"]),
        _ind("hotel-only", "premises", ["hospitality"]),
        _ind("weak-hotel", "premises", ["hospitality"], "weak"),
    )
    assert [i.id for i in ck.select_indicators(kb, "hospitality", length=1)] == ["hotel-only"]
    # strength still comes first: a weak specific sign never displaces a strong general one
    assert {i.id for i in ck.select_indicators(kb, "hospitality", length=2)} == {
        "general", "hotel-only"}


def test_short_list_spreads_over_categories():
    kb = _kb_of(*[_ind(f"online-{n}", "online", ["school", "online"]) for n in range(6)],
                _ind("control", "control", ["school", "hospitality", "retail"]),
                _ind("physical", "physical", ["school", "hospitality", "retail"]))
    chosen = [i.id for i in ck.select_indicators(kb, "school", length=4)]
    assert {"control", "physical"} <= set(chosen)
    assert sum(c.startswith("online") for c in chosen) == 2  # one (a quarter of 4), then top-up
    assert len(ck.select_indicators(kb, "school", length=0)) == 8


def test_spreading_never_puts_a_weaker_sign_before_a_stronger_one():
    kb = _kb_of(*[_ind(f"online-{n}", "online", ["school", "online"]) for n in range(4)],
                _ind("control", "control", ["school"], "medium"),
                _ind("physical", "physical", ["school"], "medium"))
    chosen = [i.id for i in ck.select_indicators(kb, "school", length=4)]
    assert sorted(chosen) == ["online-0", "online-1", "online-2", "online-3"]
    chosen = [i.id for i in ck.select_indicators(kb, "school", length=5)]
    assert set(chosen) == {"online-0", "online-1", "online-2", "online-3", "control"}


def test_without_a_setting_the_knowledge_base_order_stands():
    kb = _kb_of(_ind("general", "control", ["school", "hospitality", "retail"]),
                _ind("hotel-only", "premises", ["hospitality"]))
    assert [i.id for i in ck.select_indicators(kb, "any", length=1)] == ["general"]
    assert [i.id for i in ck.select_indicators(kb, None, length=1)] == ["general"]
