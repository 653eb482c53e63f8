"""Each rule family on sentences and tables written for these tests (not from the samples)."""

from __future__ import annotations

import pytest

from pledgeflow.nlp import build_nlp
from pledgeflow.parse.text import parse_text
from pledgeflow.registry import get_extractors, run_extractors


def records(markdown: str, kind: str) -> list:
    doc = parse_text(markdown.encode("utf-8"), document_id="t" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert not result.errors
    return [r for r in result.records if r.kind == kind]


def pledge_texts(markdown: str) -> list[str]:
    return [p.text for p in records(markdown, "pledges")]


def statement_pledges(rows: list[tuple[str, str]]) -> list:
    """The pledges found in statement data: a CSV of (party, statement) rows."""
    from pledgeflow.parse.csv import parse_csv

    data = "party,statement\n" + "".join(f'{party},"{text}"\n' for party, text in rows)
    result = run_extractors(parse_csv(data.encode(), document_id="s" * 64), get_extractors(),
                            build_nlp())
    assert not result.errors
    return [r for r in result.records if r.kind == "pledges"]


def pledged_in_green_news(sentence: str) -> bool:
    """Is ``sentence`` a pledge in a Green Party news page (the Greens its author)?"""
    text = f"# Green Party news\n\nThe Green Party set out its plans.\n\n{sentence}\n"
    return sentence in pledge_texts(text)


@pytest.mark.parametrize("sentence", [
    "We will build 400 council homes on brownfield land.",
    "We'll keep every library in the county open.",
    "The Green Party will plant a street tree for every new resident.",
    "A Reform council will freeze parking charges.",
    "The Council is committed to halving rough sleeping.",
    "Our priority is to fix the potholes on rural roads.",
    "We would like to see a swimming pool in every town.",
    "Over the coming term, the Liberal Democrats pledge to restore weekly bin collections.",
])
def test_commitments_by_the_author_are_pledges(sentence):
    assert pledge_texts(sentence) == [sentence]


@pytest.mark.parametrize("sentence", [
    "Ninety bus routes will close next year.",  # a prediction about others
    "We have opened three new leisure centres since 2019.",  # an achievement
    "We believe that every family deserves a warm home.",  # a belief
    "The previous administration cut youth services by half.",  # criticism
    "We will not be able to reopen the pool.",  # negated
    "Vote for your local candidate on 2 May.",  # a call to vote
])
def test_other_sentences_are_not_pledges(sentence):
    assert pledge_texts(sentence) == []


def test_list_items_under_a_bare_lead_in_are_pledges_with_it():
    found = records("In our first year we will:\n\n- Scrap the garden waste charge\n"
                    "- Open a youth centre in every ward\n", "pledges")
    assert [p.text for p in found] == ["Scrap the garden waste charge",
                                       "Open a youth centre in every ward"]
    assert {p.lead_in for p in found} == {"In our first year we will:"}


def test_a_lead_in_with_content_is_a_pledge_itself():
    texts = pledge_texts("We will make the town centre safer by:\n\n- Adding street lighting\n")
    assert texts == ["We will make the town centre safer by:", "Adding street lighting"]


def test_items_under_a_neutral_lead_in_are_not_pledges():
    assert pledge_texts("Last year the council:\n\n- Resurfaced ten roads\n- Opened a park\n") == []


def test_programme_lists_are_pledges():
    texts = pledge_texts("What are the Greens doing now?\n\n- Campaigning for safer crossings\n")
    assert texts == ["Campaigning for safer crossings"]


def test_imperative_paragraphs_in_a_pledges_section_are_pledges():
    texts = pledge_texts("# Our pledges for 2025\n\nCut the waiting list for care assessments."
                         "\n\nWorking together for a better borough\n")
    assert texts == ["Cut the waiting list for care assessments."]


def test_targets_take_value_unit_and_year():
    found = records("We will invest £2.5 million in cycle lanes by 2027.\n\n"
                    "We will build 1,200 affordable homes.\n\n"
                    "We will make sure 95% of bins are collected on time.\n", "targets")
    values = [(t.value, t.unit, t.year) for t in found]
    assert values == [(2_500_000, "GBP", 2027), (1200, "count", None), (95, "%", None)]


def test_all_schools_rated_good_is_a_100_percent_target():
    (target,) = records("We will help all primary schools to be rated Good by inspectors.",
                        "targets")
    assert (target.value, target.unit) == (100, "%")


def test_ages_ranges_and_labels_are_not_targets():
    assert records("We will fund clubs for 11-16 year olds and Level 2 courses for "
                   "post-18 learners.", "targets") == []


def test_a_spaced_dash_after_an_amount_sets_off_a_comment_not_a_range():
    found = records("We will cap the top council salary at $150,000 - three times the median "
                    "wage.\n\nWe will build zero-carbon homes so no-one pays more.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(150_000, "$")]


def test_hyphenated_fractions_are_changes_and_shares():
    found = records("We will cut red tape by one-third.\n\n"
                    "We will replace two-thirds of the bus fleet.\n", "targets")
    assert [(t.value, t.unit, t.provenance.rule) for t in found] == [
        (33.3, "%", "target_fraction_change"), (66.7, "%", "target_fraction_share")]


def test_a_measure_moved_by_a_count_is_a_count_target():
    found = records("We will increase the number of police officers by 100.\n\n"
                    "We will cut the housing waiting list by 2,000 over four years.\n\n"
                    "We will cut emissions by 45 per cent by 2030.\n\n"
                    "We will raise standards by 2028.\n", "targets")
    assert [(t.value, t.unit, t.measure) for t in found] == [
        (100, "count", "police officers"), (2000, "count", "housing waiting list"),
        (45, "%", None)]


def test_an_amount_a_party_has_pledged_is_a_target_not_a_past_figure():
    found = records("The Green Party has pledged £40 million to help renters install "
                    "solar panels.\n\nWe have spent £2 million on new bins.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(40_000_000, "GBP")]


def test_statistics_outside_pledges_are_not_targets():
    assert records("Currently 40% of roads are in poor condition.", "targets") == []


KPI_TABLE = """
| Indicator | 2023/24 actual | Target 2024/25 | Target 2025/26 |
|---|---|---|---|
| Reduce the number of households in temporary accommodation | 412 | 380 | - |
| Increase recycling rate | 41.5% | 45% | 50% |
"""


def test_kpi_columns_are_found_by_header_wording():
    first, second = records(KPI_TABLE, "kpis")
    assert first.baseline == "412" and first.baseline_value == 412
    assert [(t.period, t.raw) for t in first.targets] == [
        ("Target 2024/25", "380"), ("Target 2025/26", "-")]
    assert first.polarity == "reduce" and second.polarity == "increase"
    assert (second.targets[1].value, second.targets[1].unit) == (50, "%")


ACTIONS = """
| Ref | Action | Lead officer | By when |
|---|---|---|---|
| HS1 | Review the allocations policy | Head of Housing, Housing Options Manager | June 2025 |
| HS2 | Publish an empty homes plan | Head of Housing | Ongoing |
"""

ACTIONS_REF_IN_TEXT = """
| Action | Deadline | Owner |
|---|---|---|
| 3.1 – Launch a grants scheme for community groups | March 2026 | Director of Communities |
| 3.2 – Review library opening hours | Annually (April) | Head of Libraries |
"""


def test_actions_with_reference_inside_the_text_cell():
    first, second = records(ACTIONS_REF_IN_TEXT, "actions")
    assert (first.ref, first.text) == ("3.1", "Launch a grants scheme for community groups")
    assert (first.deadline, first.deadline_date) == ("March 2026", "2026-03")
    assert (second.deadline, second.deadline_date) == ("Annually (April)", None)


RISKS_ANY_ORDER = """
| Owner | Mitigation | Risk |
|---|---|---|
| Chief Executive | Lobby for a multi-year settlement | Funding may fall short of demand |
"""


def test_risk_registers_are_read_in_any_column_order():
    (risk,) = records(RISKS_ANY_ORDER, "risks")
    assert risk.risk == "Funding may fall short of demand"
    assert risk.mitigation == "Lobby for a multi-year settlement"
    assert risk.owner == "Chief Executive"


def test_every_record_points_back_to_its_text():
    md = "# Housing\n\nWe will build 400 council homes.\n"
    doc = parse_text(md.encode(), document_id="d" * 64, markdown=True)
    (pledge, target) = run_extractors(doc, get_extractors(["pledges"]), build_nlp()).records
    p = pledge.provenance
    assert doc.text[p.start:p.end] == pledge.text
    assert (p.section, p.extractor, p.rule) == ("Housing", "pledges", "actor_modal")
    assert target.pledge_id == pledge.key()


def test_actions_with_references_in_their_own_column():
    first, second = records(ACTIONS, "actions")
    assert (first.ref, first.text) == ("HS1", "Review the allocations policy")
    assert first.owners_list == ["Head of Housing", "Housing Options Manager"]
    assert (first.deadline_date, second.deadline, second.deadline_date) == (
        "2025-06", "Ongoing", None)


@pytest.mark.parametrize("sentence", [
    "A re-elected Labor government will fund 50 new school nurses.",
    "Fianna Fáil will cap childcare fees.",
    "The Democrats will expand rural broadband.",
    "If elected, I will hold a monthly surgery in every ward.",
    "We're going to double the number of electric buses.",
    "Our first priority will be to clear the repairs backlog.",
])
def test_actors_beyond_uk_parties_and_first_person_are_found(sentence):
    assert pledge_texts(sentence) == [sentence]


def test_a_negated_commitment_to_act_is_a_pledge_but_inability_is_not():
    found = records("We will not close any children's centre.\n\n"
                    "We won't be able to freeze fees.\n", "pledges")
    assert [(p.text, p.provenance.rule) for p in found] == [
        ("We will not close any children's centre.", "actor_modal_negative")]


@pytest.mark.parametrize(("sentence", "kind"), [
    ("We will build a new leisure centre in the town.", "action"),
    ("We will make sure every pupil can swim by age eleven.", "action"),
    ("We want our high streets to be thriving again.", "outcome"),
    ("We will strive for every park to be rated among the best.", "outcome"),
])
def test_pledges_are_actions_or_outcomes(sentence, kind):
    (pledge,) = records(sentence, "pledges")
    assert pledge.pledge_kind == kind


@pytest.mark.parametrize(("sentence", "specific"), [
    ("We will open 3 family hubs.", True),
    ("We will bring back the Community Chest grant scheme.", True),
    ("We will make our neighbourhoods greener and cleaner.", False),
])
def test_pledges_are_marked_specific_when_checkable(sentence, specific):
    (pledge,) = records(sentence, "pledges")
    assert pledge.specific is specific


@pytest.mark.parametrize(("sentence", "topic"), [
    ("We will fill every pothole on our roads within a week.", "transport"),
    ("We will build more affordable homes for local families to rent.", "housing"),
    ("We will plant trees and cut carbon emissions.", "environment and climate"),
    ("We will put more police on the beat to tackle antisocial behaviour.", "community safety"),
    ("We will celebrate our town's heritage.", "other"),
])
def test_pledges_get_a_policy_topic(sentence, topic):
    (pledge,) = records(sentence, "pledges")
    assert pledge.topic == topic


def test_rule_files_copy_no_phrase_from_the_samples(sample_run):
    """Rules must generalise: no pattern or lexicon entry of 4+ words is sample text."""
    import json
    from pathlib import Path

    import pledgeflow.extractors as package

    corpus = " ".join(" ".join(d.text.lower().split()) for d in sample_run.documents.values())

    def strings(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("_comment", "comment"):
                    yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
        elif isinstance(value, str):
            yield value

    folder = Path(package.__path__[0])
    copied = []
    for path in [*folder.glob("*.json"), *folder.glob("*.jsonl")]:
        lines = path.read_text("utf-8").splitlines() if path.suffix == ".jsonl" else [
            path.read_text("utf-8")]
        for line in filter(str.strip, lines):
            copied += [s for s in strings(json.loads(line))
                       if len(s.split()) >= 4 and s.lower() in corpus]
    assert copied == []


RISK_REGISTER_WITH_IDS = """
| Risk ID | Risk description | Likelihood | Controls in place | Risk owner |
|---|---|---|---|---|
| R1 | Contractor insolvency delays the depot | High | Parent guarantee | Head of Property |
"""


def test_risk_text_comes_from_the_description_not_the_id_column():
    (risk,) = records(RISK_REGISTER_WITH_IDS, "risks")
    assert risk.risk == "Contractor insolvency delays the depot"
    assert (risk.mitigation, risk.owner) == ("Parent guarantee", "Head of Property")


ACTIONS_WITH_START_AND_END = """
| No. | Action | Start date | End date | Lead |
|---|---|---|---|---|
| 4.1 | Consult on a new parking strategy | April 2024 | December 2024 | Transport team |
"""


def test_action_deadline_prefers_the_end_date_over_the_start_date():
    (action,) = records(ACTIONS_WITH_START_AND_END, "actions")
    assert (action.ref, action.deadline, action.deadline_date) == ("4.1", "December 2024",
                                                                   "2024-12")
    assert action.owners == "Transport team"


KPI_PLAIN_WORDS = """
| What we will measure | Where we are now | Where we want to be by 2027 |
|---|---|---|
| Homes built each year | 310 | 500 |
"""


def test_kpi_tables_in_plain_words_are_read():
    (kpi,) = records(KPI_PLAIN_WORDS, "kpis")
    assert (kpi.measure, kpi.baseline) == ("Homes built each year", "310")
    assert [(t.period, t.value) for t in kpi.targets] == [("Where we want to be by 2027", 500)]


@pytest.mark.parametrize(("sentence", "value", "unit"), [
    ("Labor will invest $1.5 billion in new hospitals.", 1_500_000_000, "$"),
    ("A re-elected government will deliver A$20 million for bushfire recovery.", 20_000_000,
     "AUD"),
    ("We will open three new libraries.", 3, "count"),
    ("We will plant one million trees.", 1_000_000, "count"),
])
def test_targets_in_other_currencies_and_words(sentence, value, unit):
    (target,) = records(sentence, "targets")
    assert (target.value, target.unit) == (value, unit)


def test_one_of_is_not_a_count():
    assert records("We will make one of our parks a nature reserve.", "targets") == []


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("A Labour government would scrap the two-child limit.", True),
    ("The Greens would introduce a frequent flyer levy.", True),
    ("Labor announces a new fund for rural doctors.", True),
    ("We would be forced to close the pool if funding fell.", False),
    ("Residents would benefit from longer opening hours.", False),
])
def test_named_actors_would_and_announcements(sentence, is_pledge):
    assert pledge_texts(sentence) == ([sentence] if is_pledge else [])


def test_an_opponents_commitment_is_not_the_authors_pledge():
    texts = pledge_texts("# Why vote Green\n\nThe Greens will insulate every council home.\n\n"
                         "The Greens will open a repair cafe in each ward.\n\n"
                         "Meanwhile the Conservatives will sell off the allotments.\n")
    assert texts == ["The Greens will insulate every council home.",
                     "The Greens will open a repair cafe in each ward."]


def test_the_catalog_party_decides_who_the_author_is():
    md = b"Labour will build a lido.\n\nThe Liberal Democrats will restore the bandstand.\n"
    doc = parse_text(md, document_id="m" * 64, markdown=True)
    doc.meta = {"party": "Liberal Democrats"}
    result = run_extractors(doc, get_extractors(["pledges"]), build_nlp())
    assert [r.text for r in result.records if r.kind == "pledges"] == [
        "The Liberal Democrats will restore the bandstand."]


def test_parties_joined_together_are_a_prediction_not_a_pledge():
    assert pledge_texts("Plaid Cymru will fund free bus travel for under-25s.\n\n"
                        "Plaid Cymru will protect rural schools.\n\n"
                        "Labour and the Tories will both ignore rural Wales.\n") == [
        "Plaid Cymru will fund free bus travel for under-25s.",
        "Plaid Cymru will protect rural schools."]


def test_a_commitment_inside_a_what_clause_describes_the_document():
    assert pledge_texts("This strategy explains what the Council will do next.") == []


def test_sub_items_of_a_pledge_are_pledges():
    texts = pledge_texts("We will:\n\n- Rebuild the lido, including:\n"
                         "    - a learner pool\n    - a new changing village\n")
    assert texts == ["Rebuild the lido, including:", "a learner pool", "a new changing village"]


PLEDGE_TABLE = """
| Theme | Our promise |
|---|---|
| Parks | 40 new benches in town parks |
| Streets | Weekly street cleaning in every ward |
"""


def test_cells_of_a_pledge_column_are_pledges():
    found = records(PLEDGE_TABLE, "pledges")
    assert [(p.text, p.section) for p in found] == [
        ("40 new benches in town parks", "Parks"),
        ("Weekly street cleaning in every ward", "Streets")]


@pytest.mark.parametrize(("sentence", "value", "unit", "direction"), [
    ("We will answer every complaint within 10 working days.", 10, "days", None),
    ("We will halve the number of empty shops.", 50, "%", "reduce"),
    ("We will cut bus fares by 20 pence.", 0.2, "GBP", None),
    ("We will recruit 150 more school-crossing patrols.", 150, "count", None),
    ("We will train 40 new PCSOs.", 40, "count", None),
])
def test_time_limits_relative_changes_and_compound_counts(sentence, value, unit, direction):
    (target,) = records(sentence, "targets")
    assert (target.value, target.unit) == (pytest.approx(value), unit)
    if direction:
        assert target.direction == direction


def test_a_threshold_is_not_a_target():
    assert records("We will publish every invoice over £100 online.", "targets") == []


@pytest.mark.parametrize(("text", "year"), [
    ("We will plant 3,000 trees by March 2027.", 2027),
    ("We will open 4 new libraries in 2026/27.", 2027),
    ("# Our plan 2025 - 2029\n\nWe will build 600 homes.", 2029),
    ("# Manifesto 2025\n\nWe will build 600 homes.", None),
])
def test_target_years_come_from_deadlines_and_periods_only(text, year):
    (target,) = records(text, "targets")
    assert target.year == year


@pytest.mark.parametrize("patterns", ["pledges.patterns.jsonl", "targets.patterns.jsonl"])
def test_the_gated_matcher_finds_what_a_plain_matcher_finds(patterns, samples_dir):
    """RuleMatcher skips patterns that cannot match a text; on every paragraph and list
    item of the samples (and every sentence of them), it must find exactly what spaCy's
    Matcher finds, ordered by start, end and the order the rules were added."""
    from spacy.matcher import Matcher

    from pledgeflow.extractors._rules import build_matcher, load_json, load_patterns
    from pledgeflow.extractors.pledges import ACTOR, ADVERBS, NO_TAG
    from pledgeflow.parse import parse

    lexicon = load_json(patterns.replace("patterns.jsonl", "lexicon.json"))
    rules = load_patterns(patterns, lexicon | ADVERBS)
    nlp = build_nlp()
    gated = build_matcher(nlp.vocab, rules)
    plain = Matcher(nlp.vocab)
    for rule in rules:
        plain.add(rule["id"], [rule["pattern"]])
    order = {nlp.vocab.strings[rule["id"]]: i for i, rule in enumerate(rules)}
    texts = []
    for path in sorted(samples_dir.glob("*/*.*")):
        media = "application/pdf" if path.suffix == ".pdf" else "text/html"
        document = parse(path.read_bytes(), media, document_id="x", url=path.as_uri())
        texts += [b.text for b in document.blocks if b.kind in ("paragraph", "list_item")]
    checked = found = 0
    for doc in nlp.pipe(texts):
        doc[0].tag_ = NO_TAG
        for token in doc:  # mark likely actors so the TAG patterns have something to find
            if token.lower_ in {"we", "council", "labour", "i"}:
                token.tag_ = ACTOR
        for doclike in [doc, *doc.sents]:
            expected = sorted(plain(doclike), key=lambda m: (m[1], m[2], order[m[0]]))
            assert gated(doclike) == expected, doclike.text
            checked += 1
            found += bool(expected)
        # sentence by sentence: the plain matches that lie inside one sentence, in order
        sents = list(doc.sents)
        inside = [m for sent in sents for m in sorted(
            plain(doc), key=lambda m: (m[1], m[2], order[m[0]]))
            if sent.start <= m[1] and m[2] <= sent.end]
        assert gated.in_sentences(doc, sents) == inside, doc.text
    assert checked > 300 and found > 20  # the comparison saw real matches


@pytest.mark.parametrize(("sentence", "value", "unit"), [
    ("We will spend over £1million extra on gritting the roads.", 1_000_000, "GBP"),
    ("We will put £2.5bn into rebuilding schools.", 2_500_000_000, "GBP"),
    ("We will create 30 warden-controlled bed sit style units for rough sleepers.", 30, "count"),
    ("We will deliver 50 million more GP appointments a year.", 50_000_000, "count"),
    ("The plan commits to 300 new homes for social rent.", 300, "count"),
])
def test_glued_multipliers_long_counts_and_counts_after_to(sentence, value, unit):
    (target,) = records(sentence, "targets")
    assert (target.value, target.unit) == (value, unit)


def test_two_aims_of_one_sentence_are_two_targets_with_its_text():
    sentence = "We will fund 500 more nurses and 200 more midwives for the county."
    found = records(sentence, "targets")
    assert [(t.value, t.measure, t.text) for t in found] == [
        (500, "more nurses", sentence), (200, "more midwives", sentence)]
    assert len({t.key() for t in found}) == 2  # both are stored, though their texts agree


@pytest.mark.parametrize("sentence", [
    "We will lobby for £40m of road funding, which would pay for 300 more crossings.",
    "At a cost of between $700m and $1.1 billion, we will rebuild the hospital.",
])
def test_what_an_aim_buys_and_the_far_end_of_a_range_are_not_targets(sentence):
    found = records(sentence, "targets")
    assert len(found) == 1
    if "between" in sentence:
        assert found[0].value is None  # a range holds no single value


def test_a_headline_before_a_dash_is_the_targets_text():
    (target,) = records("- Four new health centres - the last council closed two of them, "
                        "and we will reopen them.", "targets")
    assert (target.text, target.value) == ("Four new health centres", 4)


def test_in_a_paragraph_a_dash_after_the_aim_leaves_the_sentence_whole():
    """A list item's dash parts its headline from a comment; in prose it carries the
    sentence on, and the target's text is the sentence, as the guide quotes one."""
    sentence = ("We will open 40 new beds at the county hospital – and more at each "
                "of the community hospitals as well.")
    (target,) = records(sentence + "\n", "targets")
    assert (target.text, target.value) == (sentence, 40)


def test_a_share_joined_to_its_number_by_hyphens_is_a_percent():
    found = records("We will cut emissions by 60-per-cent by 2030.\n\n"
                    "We will cut business rates by 25-percent.\n\n"
                    "We will publish an 8-point plan.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(60, "%"), (25, "%")]


def test_labelled_items_of_a_manifesto_list_are_pledges():
    md = ("# Our manifesto for Ashcombe\n\n"
          "1. CLEAN AIR: Planting a tree for every child will protect our streets.\n"
          "2. OUR HIGH STREET: Lower parking charges will bring shoppers back.\n"
          "3. LIBRARIES: Longer opening hours will give students a place to study.\n")
    assert len(pledge_texts(md)) == 3


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("The manifesto also promises to spend an extra £400,000 on drainage.", True),
    ("Our manifesto pledges to cut bus fares for under-18s.", True),
    ("Over the next decade our investment will be $2 billion greater than theirs.", True),
    ("A renewed pledge to abolish the cabinet system.", True),
    ("The council plan is our overarching strategy for the borough.", False),
    ("We need new ideas to bring in the shops we all want.", False),
    ("We will be pleased to send a copy of this manifesto in large print.", False),
    ("Residents often ask what the Liberal Democrats would do differently.", False),
])
def test_plans_commitments_as_nouns_and_words_that_only_look_like_commitments(
        sentence, is_pledge):
    assert pledge_texts(sentence) == ([sentence] if is_pledge else [])


def test_a_lead_in_cut_from_its_list_is_not_a_pledge_but_its_items_are():
    texts = pledge_texts("If you elect me as your councillor, I will\n\n"
                         "- Oppose the closure of the cottage hospital.\n"
                         "- Support a weekly bin collection.\n")
    assert texts == ["Oppose the closure of the cottage hospital.",
                     "Support a weekly bin collection."]


def test_paragraphs_under_an_open_lead_in_are_its_items_whatever_their_first_verb():
    texts = pledge_texts("Together we will make the county work, through ensuring that "
                         "councils:\n\n"
                         "Channel £5m more into local firms through procurement.\n\n"
                         "Free school meals for every primary pupil.\n\n"
                         "The county has 40 schools.\n")
    assert "Channel £5m more into local firms through procurement." in texts
    assert "Free school meals for every primary pupil." in texts
    assert "The county has 40 schools." not in texts


@pytest.mark.parametrize("sentence", [
    "We will bring in 20 mph speed limits outside every school.",
    "We will put Hydro One back in public hands.",
])
def test_settings_and_names_are_not_counts(sentence):
    assert records(sentence, "targets") == []


CONTENTS_TABLE = """
| Section | Page |
|---|---|
| 1.1 Foreword from the Leader | 3 |
| 1.2 Our priorities for the borough | 5 |
| 2.1 Delivering the plan | 9 |
"""


def test_a_contents_table_with_numbered_sections_holds_no_actions():
    assert records(CONTENTS_TABLE, "actions") == []


@pytest.mark.parametrize("sentence", [
    "The Greens in Government will fund forty new buses for rural routes.",
    "Green councillors elected in May will open a youth centre in every town.",
    "Each Green candidate will hold a surgery every month.",
    "Under the Greens, there will be a library in every ward.",
    "Our plan includes a commitment to 60 per cent of electricity coming from wind.",
    "The Greens' policy includes a $12 billion investment in solar farms.",
    "Our target of 2 million heat pumps by 2030 would double the number in homes today.",
    "In government we set up a green bank and if elected again will expand it.",
    "To meet this, a McAllister Green government will open a new fund.",
    "The Green Group at Ashford Council values this and is committed to monthly meetings.",
    "Progress on the plan will be reported every six months.",
    "Today I am announcing a $50 million fund for local sports clubs.",
    "Under the Greens, every family will be able to see a dentist.",
    "Our plan would raise $40 billion from the largest polluters.",
])
def test_actors_with_places_plans_and_targets_of_their_own_are_pledges(sentence):
    assert pledge_texts(f"# Greens on energy\n\n{sentence}\n") == [sentence]


@pytest.mark.parametrize("sentence", [
    "This morning I will be joined by candidates at the launch.",  # done to the speaker
    "But that is not all we will do.",  # announces what follows
    "There will be cuts to every service next year.",  # no one's promise
    "The Tories' plan includes a £40 billion cut to services.",  # an opponent's plan
    "Under the Tories, every bus route will be cut.",  # a warning about an opponent
    "I will be visiting the hospital with our candidate this afternoon.",  # a schedule
    "The leader will be in Townsville tomorrow.",  # a schedule
    "We will see what the other parties put forward.",  # commits to nothing
    "We will also set analytics cookies if you accept them.",  # a printed cookie banner
    "Sign up and we will send you news about the campaign.",  # a sign-up form
])
def test_events_announcements_and_others_plans_are_not_pledges(sentence):
    # the heading names the Greens twice, so they, not the Tories, are the author
    assert pledge_texts(f"# Greens on energy: what the Greens stand for\n\n{sentence}\n") == []


def test_a_labelled_pledge_is_the_text_after_its_label():
    texts = pledge_texts("# Our manifesto\n\nWe set out five pledges.\n\n"
                         "## Pledge 1: Keep every branch library open\n\n"
                         "Promise two – Fix the potholes on estate roads\n")
    assert texts == ["Keep every branch library open", "Fix the potholes on estate roads"]


def test_a_run_in_imperative_is_a_pledge_and_its_explanation_is_not():
    texts = pledge_texts("## Transport\n\nReopen the station car park. It has been closed for "
                         "two years, and commuters park on residential streets.\n\n"
                         "Reform UK holds no seats on the council. It hopes to win ten.\n")
    assert texts == ["Reopen the station car park."]


def test_a_fragment_saying_how_carries_on_the_pledge_above_it():
    texts = pledge_texts("## Our priorities\n\n1. Providing homes for the future\n\n"
                         "By working with housing associations to deliver 500 social homes a "
                         "year.\n\nResidents told us housing matters most.\n")
    assert texts == ["Providing homes for the future",
                     "By working with housing associations to deliver 500 social homes a year."]


def test_paragraphs_after_a_pledges_lead_in_are_its_items():
    texts = pledge_texts("# News\n\nOur key pledges include:\n\n-Increase the range of items "
                         "recycled at the kerb\n\n-Support local shops with a campaign\n")
    assert texts == ["Increase the range of items recycled at the kerb",
                     "Support local shops with a campaign"]


def test_a_paragraph_opening_with_a_noun_that_could_be_a_verb_is_no_run_in_pledge():
    assert pledge_texts("## Schools\n\nResearch by the union suggests 30 schools will face "
                        "cuts. Heads are worried.\n") == []


@pytest.mark.parametrize(("text", "value"), [
    ("We will cut bus fares by half.", 50.0),
    ("We will reduce waiting times by a third.", 33.3),
    ("We pledge to 50 per cent of households on the heat network.", 50.0),  # a share
    ("We will build the new line. This will allow the number of trains to be doubled.", 100.0),
])
def test_changes_by_a_fraction_or_in_the_passive_are_targets(text, value):
    assert [t.value for t in records(text, "targets")] == [value]


def test_lead_ins_inside_a_list_are_not_pledges_and_sub_headings_keep_the_list_open():
    texts = pledge_texts("We will deliver on these:\n\n"
                         "- A programme that commits to the following priorities:\n"
                         "    - End dereliction in our towns\n- Build 500 council homes\n\n"
                         "A Labour council will:\n\nMaintaining an efficient council:\n\n"
                         "Freeze council tax for two years.\n")
    assert texts == ["End dereliction in our towns", "Build 500 council homes",
                     "Freeze council tax for two years."]


def test_the_coalition_is_the_liberal_party_of_its_row():
    from pledgeflow.parse.csv import parse_csv

    data = ("party,statement\nLiberal,The Coalition will build 40 new dams.\n"
            "Labor,The Coalition will cut hospital funding.\n")
    doc = parse_csv(data.encode(), document_id="c" * 64)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert [r.text for r in result.records if r.kind == "pledges"] == [
        "The Coalition will build 40 new dams."]


def test_statement_rows_that_are_headings_or_name_a_party_first_are_not_imperatives():
    found = statement_pledges([
        ("Green", "Scrap the bedroom tax."),
        ("Green", "Build a fairer economy"),  # a heading carried into the data
        ("Reform", "Reform is putting change on the agenda."),  # a party, not a verb
        ("Green", "By cutting fares we will fill the buses.")])
    assert [r.text for r in found] == [
        "Scrap the bedroom tax.", "By cutting fares we will fill the buses."]


def test_a_statement_row_with_a_topic_before_a_dash_then_an_order_is_a_pledge():
    found = statement_pledges([
        ("Green", "Cleaner air \u2013 plant a tree for every child born in the city."),
        ("Green", "Cleaner air \u2013 the council's record is the worst in the region.")])
    assert [r.text for r in found] == [
        "Cleaner air \u2013 plant a tree for every child born in the city."]


def test_a_noun_named_with_a_year_before_its_verb_is_no_order():
    found = statement_pledges([
        ("Green", "Budget 2024 provided for 300 extra teachers."),  # a name and its verb
        ("Green", "Plant 2000 trees along the river."),  # a count
        ("Green", "Fund 2026 apprenticeships in green trades.")])
    assert [r.text for r in found] == [
        "Plant 2000 trees along the river.", "Fund 2026 apprenticeships in green trades."]


def test_two_shares_joined_by_and_are_two_targets():
    found = records("Our plan commits to 50 per cent of power from wind and a 45 per cent cut "
                    "in emissions by 2030.", "targets")
    assert [(t.value, t.unit) for t in found] == [(50.0, "%"), (45.0, "%")]


def test_an_order_may_open_with_an_adverb_in_ly_but_not_with_an_adjective_in_ly():
    found = statement_pledges([
        ("Green", "Immediately declare a climate emergency."),
        ("Green", "Properly fund the county's youth clubs."),
        ("Green", "Elderly care homes are closing across the county."),  # an adjective
        ("Green", "Weekly collections were cut by the last council.")])
    assert [r.text for r in found] == [
        "Immediately declare a climate emergency.", "Properly fund the county's youth clubs."]


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("Every pupil who starts at a village school will have a free breakfast.", True),
    ("All care homes will be rated Good within four years.", True),
    ("Each tenant will get a named housing officer.", True),
    ("All councils will have to find new savings next year.", False),  # a prediction
    ("Every family will pay more under the Conservatives.", False),  # not a benefit
    ("We warned that every school would get less.", False),  # reported, not opening
])
def test_an_outcome_promised_to_everyone_in_a_group_is_a_pledge(sentence, is_pledge):
    assert pledge_texts(sentence) == ([sentence] if is_pledge else [])


def test_a_sentence_announcing_what_the_author_will_do_is_no_pledge_of_its_own():
    assert pledge_texts("Here's what I have promised I'll do if elected in May.") == []
    assert pledge_texts("We will do everything we can to keep the library open.") == [
        "We will do everything we can to keep the library open."]


def test_short_lines_set_as_headings_under_a_colon_lead_in_are_its_items():
    # a capture that lost the bullets: the items come out as sub-headings
    markdown = ("# Manifesto launch\n\nThe pledges in the party's manifesto include:\n\n"
                "## Campaigning for cheaper bus fares\n\n"
                "## Keeping every village school open\n\n"
                "Building homes that local families can afford\n\n"
                "## Transport\n\nThe county's buses have been cut for years, and fares "
                "have risen faster than wages.\n")
    found = records(markdown, "pledges")
    assert [(p.text, p.provenance.rule) for p in found] == [
        ("Campaigning for cheaper bus fares", "heading_under_lead_in"),
        ("Keeping every village school open", "heading_under_lead_in"),
        ("Building homes that local families can afford", "paragraph_under_lead_in")]
    assert {p.lead_in for p in found} == {"The pledges in the party's manifesto include:"}


def test_a_heading_followed_by_prose_closes_the_lead_in():
    markdown = ("A Green council will:\n\nPlant a tree for every child born in the county.\n\n"
                "## Build a greener economy\n\nThe county has lost jobs in every sector "
                "since 2015, and its young people are leaving.\n")
    assert pledge_texts(markdown) == ["Plant a tree for every child born in the county."]


def test_three_orders_in_a_row_are_a_programme_two_are_not():
    three = ("# Farming\n\nFund research into soil health on small farms.\n\n"
             "Restore the drought relief scheme for upland farmers.\n\n"
             "Set a target for local food in school meals.\n\n"
             "From the 2019 platform.\n")
    assert [(p.text, p.provenance.rule) for p in records(three, "pledges")] == [
        ("Fund research into soil health on small farms.", "programme_paragraph_run"),
        ("Restore the drought relief scheme for upland farmers.", "programme_paragraph_run"),
        ("Set a target for local food in school meals.", "programme_paragraph_run")]
    two = ("# Polling day\n\nBring your polling card to the station.\n\n"
           "Check the opening hours on the council website.\n\nThe count is on Friday.\n")
    assert pledge_texts(two) == []


@pytest.mark.parametrize("item", [
    "Supporting a continued council tax freeze",
    "Freeze parking charges in every town centre",
])
def test_a_freeze_states_no_number_so_it_is_a_pledge_and_no_target(item):
    # the guide: a target is a number the author aims to reach; a freeze names none
    assert pledge_texts(f"Our pledges:\n\n- {item}\n") == [item]
    assert records(f"Our pledges:\n\n- {item}\n", "targets") == []


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("The priorities include providing homes for young people to rent.", True),
    ("Our key aims include cutting the waiting list for council homes.", True),
    ("Residents will also be \u201cgiven a voice\u201d on every planning committee.", True),
    ("The Conservatives' priorities include cutting the bus budget.", False),  # theirs
])
def test_priorities_that_include_doings_and_passives_opening_a_quotation(sentence, is_pledge):
    assert pledge_texts(f"# Liberal Democrat manifesto\n\n{sentence}\n") == (
        [sentence] if is_pledge else [])


def test_a_leader_named_before_the_title_is_the_authors():
    text = ("TOWNSVILLE - Today, Mary Okafor, Leader of the Green Party, set out a plan.\n\n"
            "Okafor's plan will open a walk-in clinic in every town.\n")
    assert pledge_texts(text) == ["Okafor's plan will open a walk-in clinic in every town."]
    other = ("Today, John Rees, leader of the Conservatives, set out a plan.\n\n"
             "Rees's plan will close the walk-in clinics.\n")
    assert pledge_texts(f"# Green Party news\n\nThe Green Party said.\n\n{other}") == []


@pytest.mark.parametrize(("item", "value", "measure"), [
    ("Make half of all new homes genuinely affordable", 50, "all new homes genuinely affordable"),
    ("Replace a third of food imports with local produce", 33.3, "food imports with local produce"),
    ("Two thirds of the council fleet will be electric", 66.7,
     "the council fleet will be electric"),
])
def test_a_share_given_as_a_fraction_is_a_target(item, value, measure):
    found = records(f"Our pledges:\n\n- {item}\n", "targets")
    assert [(t.value, t.unit, t.measure) for t in found] == [(value, "%", measure)]


def test_a_fraction_giving_a_reason_is_no_target():
    item = "Because a third of children live in poverty, we will expand free school meals"
    assert records(f"Our pledges:\n\n- {item}\n", "targets") == []


def test_items_run_into_one_line_are_pledges_each():
    found = records("Our pledges:\n\n- Cut the parking charges. \u2022 Reopen the lido. "
                    "\u2022 Plant 2,000 trees\n", "pledges")
    assert [p.text for p in found] == ["Cut the parking charges.", "Reopen the lido.",
                                       "Plant 2,000 trees"]
    assert [t.value for t in records("Our pledges:\n\n- Cut the parking charges. "
                                     "\u2022 Plant 2,000 trees\n", "targets")] == [2000]


def test_a_quotation_in_a_pledges_section_is_speech_not_a_programme_name():
    markdown = ("# Our priorities\n\n"
                "\u201cWe are heading into an election that could change the county.\n\n"
                "\u201cHomes for All\u201d will build 500 council homes a year.\n")
    assert pledge_texts(markdown) == [
        "\u201cHomes for All\u201d will build 500 council homes a year."]


def test_news_that_an_author_announces_its_priorities_is_no_pledge():
    found = statement_pledges([("Green", "Greens announce priorities for the new council"),
                               ("Green", "The Greens announce a new fund for rural buses.")])
    assert [r.text for r in found] == ["The Greens announce a new fund for rural buses."]


def test_rows_of_doings_in_a_row_are_a_programme_in_statement_data():
    found = statement_pledges([
        ("Green", "The party set out its programme on Monday."),
        ("Green", "Banning new coal mines in the county"),
        ("Green", "Passing the clean air bill"),
        ("Green", "Capping rents in line with wages"),
        ("Green", "Housing associations have waiting lists of years.")])
    assert [(r.text, r.provenance.rule) for r in found] == [
        ("Banning new coal mines in the county", "programme_paragraph_run"),
        ("Passing the clean air bill", "programme_paragraph_run"),
        ("Capping rents in line with wages", "programme_paragraph_run")]


@pytest.mark.parametrize(("item", "value", "unit", "measure"), [
    ("Raise the age of criminal responsibility to 14", 14, "years",
     "age of criminal responsibility"),
    ("Lower the voting age to 16 for council elections", 16, "years", "voting age"),
    ("Invest $2.5m/year in a land trust for new farmers", 2_500_000, "$",
     "a land trust for new farmers"),
])
def test_an_age_moved_to_a_figure_and_an_amount_per_period(item, value, unit, measure):
    found = records(f"Our pledges:\n\n- {item}\n", "targets")
    assert [(t.value, t.unit, t.measure) for t in found] == [(value, unit, measure)]


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("Every ward, village or estate that asks for a warden, with full powers, will get one.",
     True),
    ("Each town would have a plan of its own for its high street.", True),
    ("Repealing the bedroom tax will be our first priority.", True),
    ("If re-elected, scrapping the toll will be a top priority for the Greens.", True),
    ("Cutting the bus budget will be a priority for the Conservatives.", False),  # theirs
    ("A Green council has a plan to insulate every council home.", True),
    ("Her agent said the Green Party was committed to reopening the station.", True),
])
def test_priorities_plans_and_reported_commitments(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


def test_nouns_counted_without_a_plural_s_are_counts():
    found = records("Our pledges:\n\n- Build 2,500 care beds and hire 2,000 care staff\n",
                    "targets")
    assert [(t.value, t.measure) for t in found] == [(2500, "care beds"), (2000, "care staff")]


def test_a_signature_after_a_commitment_is_no_item_of_it():
    markdown = ("Only the Greens have a plan to cut your bills.\n\n- Jane Smith, Leader of the "
                "Green Party\n")
    assert pledge_texts(markdown) == ["Only the Greens have a plan to cut your bills."]


def test_counts_listed_with_commas_are_aims_each_and_a_comma_may_sit_in_the_noun():
    found = records("Our pledges:\n\n- Recruit 400 nurses, 100 doctors, and 50 midwives\n\n"
                    "- Build 2,000 new, low carbon council homes\n", "targets")
    assert [(t.value, t.measure) for t in found] == [
        (400, "nurses"), (100, "doctors"), (50, "midwives"),
        (2000, "new, low carbon council homes")]


def test_a_comma_does_not_join_an_amount_to_what_it_buys():
    found = records("Our pledges:\n\n- Invest £8m, which would pay for 50 more wardens\n",
                    "targets")
    assert [(t.value, t.unit) for t in found] == [(8_000_000, "GBP")]


def test_a_contents_list_of_doings_is_no_programme():
    # the lines repeat the headings below them: titles, not pledges
    markdown = ("# Opportunity\n\nCampaigning for smaller classes in every school\n\n"
                "Supporting adults back into learning at any age\n\n"
                "Helping young people into skilled work locally\n\n"
                "## Campaigning for smaller classes in every school\n\n"
                "Class sizes have grown across the county.\n")
    assert pledge_texts(markdown) == []


def test_a_quoted_name_may_keep_its_closing_quote_on_its_last_word():
    markdown = ('# Our pledges\n\n"Every Child Counts"...making sure every child in care '
                'has a mentor\n')
    assert pledge_texts(markdown) == [
        '"Every Child Counts"...making sure every child in care has a mentor']


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("The Green Party launched its manifesto, pledging a free bus pass for every apprentice.",
     True),
    ("The Green group on the county council met today, saying it would reopen the depot.",
     True),
    ("The Conservatives launched their plan, promising lower council tax.", False),  # theirs
    ("The pilot scheme showed early and promising results.", False),
])
def test_a_commitment_as_a_participle_after_the_authors_clause(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("He has also pledged to protect the rural bus routes.", True),
    ("She promised to open the library on Sundays.", True),
    ("The PCC also pledged to put more officers on the beat.", True),
    ("The Tories said they pledged nothing.", False),
])
def test_a_reports_pronoun_or_office_holder_pledging(sentence, is_pledge):
    text = (f"# Green candidate for commissioner\n\nThe Green Party set out its plans.\n\n"
            f"{sentence}\n")
    assert (sentence in pledge_texts(text)) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("Councillor Ann Reed has said that her party will plant 10,000 street trees.", True),
    ("Green leader Ann Reed said the party would also reopen the lido.", True),
    ("A Green council would also halve the price of a resident's parking permit.", True),
    ("The candidate said his government would scrap the toll.", True),
    ("After the Tories cut the grant, Mr Hale said his party would close the depot.",
     False),  # another party named before it
])
def test_reported_speech_naming_the_speakers_party_by_a_possessive(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("The Clean Air Zone Refund Scheme will repay every driver fined since March.", True),
    ("The Rural Broadband Act will connect every village by 2028.", True),
    ("The Conservative Budget Plan will cut the youth service.", False),  # the opponent's
    ("The Carbon Tax will cost families more.", False),  # no programme of the author's
])
def test_a_programme_named_in_capitals_as_the_subject(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


def test_the_author_in_government_is_an_actor():
    sentence = "The Greens in government will fund 300 more nurses."
    assert pledge_texts(f"# Green Party\n\n{sentence}\n") == [sentence]


def test_a_release_about_a_first_100_days_plan_is_read_as_prose():
    markdown = ("# Greens release First 100 Days Plan\n\n"
                "The Greens have today released our First 100 Days Plan.\n\n"
                "\u201cIn the first week we will restore the night buses,\u201d she said.\n\n"
                "\u201cDon\u2019t risk waking up to another four years of cuts.\n\n"
                "\u201cSo, I ask you to think about this:\n\n"
                "# Our first 100 days\n\n"
                "Ministers meet council leaders to agree the housing budget\n")
    assert pledge_texts(markdown) == [
        "\u201cIn the first week we will restore the night buses,\u201d she said.",
        "Ministers meet council leaders to agree the housing budget"]


def test_aims_in_the_infinitive_are_orders_in_statement_data_but_purpose_clauses_are_not():
    found = statement_pledges([
        ("Green", "To increase the number of officers on the beat in every town."),
        ("Green", "To make sure that we are accountable we publish a report each year."),
        ("Green", "To find out more, visit the website.")])
    assert [r.text for r in found] == [
        "To increase the number of officers on the beat in every town."]


def test_a_party_the_lexicon_lacks_is_learnt_from_its_statement_rows():
    found = statement_pledges([
        ("Coastal Futures Movement", "Coastal Futures Movement will open a night bus to the"
                                     " port."),
        ("Coastal Futures Movement", "The CFM will fund a lifeguard on every beach.")])
    assert [r.text for r in found] == [
        "Coastal Futures Movement will open a night bus to the port.",
        "The CFM will fund a lifeguard on every beach."]


def test_amounts_each_opened_by_up_to_are_aims_each_and_keep_the_whole_sentence():
    sentence = ("We will cut council tax \u2013 up to \u00a3240 a year for a family with children, "
                "and up to \u00a3100 a year for a single pensioner.")
    found = records(f"# Green Party\n\n{sentence}\n", "targets")
    assert [(t.value, t.text) for t in found] == [(240, sentence), (100, sentence)]


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("We want a housing minister to deliver the 4,000 council homes that the Greens are "
     "committing to.", True),
    ("The Greens have announced our plan for a free bus pass for every apprentice.", True),
    ("The Greens launched their plan for the county.", False),  # news, what it holds unsaid
    ("Our guarantee gives councils certainty and will let them build the roads they need.",
     True),
    ("The extra funding is a big step in the right direction and will help the club.", False),
])
def test_relative_commitments_announced_plans_and_a_late_will(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("A re-elected ACT Greens government will plant 10,000 street trees.", True),  # the territory
    ("They say they will spend more on rural bus routes.", True),
    ("Other pledges by the group include reopening the Saturday market.", True),
    ("Our policy priorities for farmers will be getting the rail freight line reopened.", True),
    ("The Greens' housing policy would see 8,000 homes built in five years.", True),
])
def test_place_before_a_party_reported_sayings_priorities_and_policies(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


def test_an_outlay_and_a_second_promise_after_and_are_aims_of_their_own():
    found = records("# Green Party\n\nThe Greens say they will spend \u00a35m on pavements and "
                    "promise to fix every pothole within 24 hours.\n\nThe Greens' policy would "
                    "see 800 homes built in five years, by investing \u00a316 million.\n",
                    "targets")
    assert [(t.value, t.unit) for t in found] == [
        (5_000_000, "GBP"), (24, "hours"), (800, "count"), (16_000_000, "GBP")]


def test_a_platform_lead_in_opens_a_list_and_its_lines_set_as_headings_are_items():
    markdown = ("The Green Party platform also includes:\n\n"
                "# Introduce a free bus pass for every apprentice\n\n"
                "## Lower parking charges to about 50p an hour\n\n"
                "## Plant a thousand street trees\n")
    assert pledge_texts(markdown) == [
        "Introduce a free bus pass for every apprentice",
        "Lower parking charges to about 50p an hour", "Plant a thousand street trees"]
    assert [t.value for t in records(markdown, "targets")] == [1000]


def test_an_order_after_a_topic_label_and_a_dash_is_an_item_of_a_programme():
    markdown = ("# Policy summary\n\n- Affordable housing \u2013 use the grant to rebuild 400 "
                "council homes\n- Higher wages \u2013 pay the living wage for all council "
                "work\n- Three new schools \u2013 now that the county has agreed the sites\n")
    assert pledge_texts(markdown)[:2] == [
        "Affordable housing \u2013 use the grant to rebuild 400 council homes",
        "Higher wages \u2013 pay the living wage for all council work"]


def test_a_province_abbreviated_does_not_end_the_sentence():
    from pledgeflow.nlp import build_nlp

    doc = build_nlp()("While the Sask. Party also plans a deficit, it says it would not.")
    assert len(list(doc.sents)) == 1


def test_a_million_counts_alone_but_not_inside_an_amount():
    found = records("# Green Party\n\nWe will plant a million trees and invest \u00a362.6 million "
                    "in new parks.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(1_000_000, "count"), (62_600_000, "GBP")]


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("We are setting up a credit union for council tenants.", True),
    ("We are setting out our plans for the next four years.", False),  # announcing them
])
def test_setting_up_is_a_programme_setting_out_announces(sentence, is_pledge):
    assert (sentence in pledge_texts(f"# Green Party\n\n{sentence}\n")) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("Jane Smith, leader of the Green group, said they will spend \u00a325m on the roads.", True),
    ("The Conservatives said they would sell the depot.", False),  # another party's
])
def test_reported_speech_with_its_speaker_named_first(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


def test_a_party_learnt_from_one_document_does_not_carry_to_the_next():
    from pledgeflow.parse.csv import parse_csv

    def pledges(doc, extractors):
        result = run_extractors(doc, extractors, build_nlp())
        return [r.text for r in result.records if r.kind == "pledges"]

    later = "# News\n\nThe Coastal Futures Movement will close the pier.\n"
    alone = pledges(parse_text(later.encode(), document_id="b" * 64, markdown=True),
                    get_extractors())
    shared = get_extractors()  # as a worker keeps them for every document it reads
    rows = 'party,statement\nCoastal Futures Movement,"We will open a night bus."\n'
    assert pledges(parse_csv(rows.encode(), document_id="a" * 64), shared) == [
        "We will open a night bus."]
    after = pledges(parse_text(later.encode(), document_id="b" * 64, markdown=True), shared)
    assert after == alone


def test_a_count_of_the_documents_own_items_is_no_target():
    found = records("We will work towards our 8 pledges set out below.\n\n"
                    "We will campaign on five key themes.\n\n"
                    "We will spend the fund on three main uses of public bonds.\n\n"
                    "We will build 300 new homes.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(300, "count")]


def test_an_amount_saying_who_qualifies_is_no_target():
    found = records("We will create a tax credit for workers earning between $30,000 and "
                    "$50,000.\n\nWe will exempt firms with payrolls of less than $1.5 million.\n\n"
                    "We will cap the mayor's salary at $150,000.\n", "targets")
    assert [(t.value, t.unit) for t in found] == [(150_000, "$")]


def test_what_a_pledge_costs_and_a_noun_after_this_carry_no_pledge_on():
    texts = pledge_texts("We will extend the tram to the hospital. This will cost £60m.\n\n"
                         "We will open a library. This election will be a real choice.\n\n"
                         "We will reopen the lido. It will cut queues at the pool in half.\n")
    assert texts == ["We will extend the tram to the hospital.", "We will open a library.",
                     "We will reopen the lido.", "It will cut queues at the pool in half."]


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("It also vows to protect every branch library.", True),  # the party, named as "it"
    ("And it pledges to build more warm council homes.", True),
    ("The council says it plans to close the library.", False),  # "plans": anyone's
    ("The Green Party values its parks, and has pledged to open two more.", True),
    ("Residents raised the issue and have promised to campaign.", False),  # no actor
    ("The Green Party's top priority in government is to insulate every home.", True),
    ("Labour's top priority in government is to raise taxes.", False),  # another party's
    ("Other local commitments include $9 million for the sports park.", True),
    ("The promises include £10m for a flood defence fund.", True),
])
def test_reported_commitments_of_the_party_named_before(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


@pytest.mark.parametrize(("sentence", "is_pledge"), [
    ("The Green Party opened its campaign pledging to plant 5,000 trees.", True),
    ("Labour opened its campaign pledging to plant 5,000 trees.", False),  # another party's
    ("The Greens attacked Labour after pledging to plant more trees.", False),  # "after"
    ("In a bid to cut bills, the Green Party manifesto pledges to insulate every home.", True),
    ("The Labour manifesto pledges to insulate every home.", False),
    ("The Green Party announced a new community energy fund.", True),
    ("The Green Party announced a review of bus routes.", False),  # a review promises nothing
    ("The pledge would see the Green Party open 20 new allotments.", True),
    ("The pledge would see Labour open 20 new allotments.", False),
    ("We know this town well and will keep every library open.", True),
    ("We back the town, unlike Labour, who are tired and will close the library.", False),
    ("The Green Party released a plan that costs little and promises to plant 900 trees.",
     True),
    ("Labour released a plan that promises to plant 900 trees.", False),
])
def test_news_of_a_campaign_pledging_a_manifesto_pledging_and_a_new_fund(sentence, is_pledge):
    assert pledged_in_green_news(sentence) is is_pledge


def test_a_way_to_get_in_touch_is_no_pledge_and_zero_tolerance_counts_nothing():
    markdown = ("# Our promises\n\nWe will listen to you. You can reach us by:\n\n"
                "- Telephoning the council on 0300 123 4567\n"
                "- Emailing the team at hello@riverton.example.org\n"
                "- Zero tolerance of antisocial behaviour on our estates\n")
    assert pledge_texts(markdown) == ["We will listen to you.",
                                      "Zero tolerance of antisocial behaviour on our estates"]
    assert records(markdown, "targets") == []
