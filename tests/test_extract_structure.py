"""Pledges found from document structure and wider commitment grammar (issue 13's failure
classes), on texts written for these tests."""

from __future__ import annotations

import pytest

from pledgeflow.nlp import build_nlp
from pledgeflow.parse.text import parse_text
from pledgeflow.registry import get_extractors, run_extractors


def pledges(markdown: str, kind: str | None = None, party: str | None = None) -> list[str]:
    doc = parse_text(markdown.encode("utf-8"), document_id="s" * 64, markdown=True)
    doc.meta = {k: v for k, v in {"kind": kind, "party": party}.items() if v}
    return pledge_texts(doc)


def pledge_texts(doc) -> list[str]:
    """The pledges the extractors find in a parsed document, in order."""
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert not result.errors
    return [r.text for r in result.records if r.kind == "pledges"]


IMPERATIVE_LIST = """# Our priorities for Brackenford

- Scrap the charge for green bin collections
- Open the leisure centre on Sundays
- Bring back the night bus to the hospital
"""


def test_an_imperative_list_under_a_manifesto_heading_is_a_list_of_pledges():
    assert pledges(IMPERATIVE_LIST, kind="manifesto") == [
        "Scrap the charge for green bin collections", "Open the leisure centre on Sundays",
        "Bring back the night bus to the hospital"]


def test_an_imperative_list_counts_without_a_catalog_too():
    # no lead-in, no catalog kind: most of the items are imperatives, so it is a programme
    assert len(pledges(IMPERATIVE_LIST.replace("Our priorities for", "In"))) == 3


UNCOMMON_VERBS = """# Ashcombe first

- Reroute the 42 bus through the Millfield estate
- Tidy every alley behind the high street
- Overturn the decision to shut Mill Lane library
"""

TOPICS = """# Ashcombe first

- Train services to the coast and back
- Police numbers in the town centre
- Park maintenance across the borough
"""


def test_items_opening_with_any_verb_and_its_object_are_orders():
    # none of these verbs is in verbs.json: the object after the verb makes them orders,
    # so the list is imperative even where only an imperative list counts
    assert pledges(UNCOMMON_VERBS, kind="campaign_statement") == [
        "Reroute the 42 bus through the Millfield estate",
        "Tidy every alley behind the high street",
        "Overturn the decision to shut Mill Lane library"]
    # a verb that is a noun too, with no object after it, names a topic
    assert pledges(TOPICS, kind="campaign_statement") == []


NOUN_LIST = """# Fairer Fenwick

## Homes

- 600 new council homes on brownfield land
- Free swimming for every child under sixteen
- Warm homes grants for pensioners on low incomes
"""


def test_verbless_items_in_a_manifesto_list_are_pledges():
    assert pledges(NOUN_LIST, kind="manifesto") == [
        "600 new council homes on brownfield land",
        "Free swimming for every child under sixteen",
        "Warm homes grants for pensioners on low incomes"]


def test_verbless_items_are_not_pledges_outside_a_manifesto_or_plan():
    assert pledges(NOUN_LIST, kind="campaign_statement") == []


def test_lists_of_names_records_and_calls_are_not_pledges():
    text = """# Partners

- Colleges
- Job Centre Plus
- Local employers

# Our record

- Opened two new libraries in 2021
- We have cut the waiting list by a third
- Delivered free school meals all summer

# Get involved

- Vote Green on 7 May
- Share this page with your friends
"""
    assert pledges(text, kind="manifesto") == []


@pytest.mark.parametrize("sentence", [
    "Labour has committed £4 million to rebuild the Eastgate bridge.",
    "We are investing £2 million in new bus shelters across the district.",
    "The scheme will provide free bike repairs for every pupil.",
    "Our new housing plan will double the number of social rents by 2030.",
    "New pedestrian crossings will be built outside every primary school.",
    "We would concentrate on cutting the backlog of repairs.",
])
def test_funding_plans_passives_and_would_are_commitments(sentence):
    assert pledges(sentence, kind="campaign_statement", party="Labour") == [sentence]


@pytest.mark.parametrize("sentence", [
    "Under the Conservatives, the plan will put up bus fares.",
    "Hundreds of families will be affected by the closure.",
    "This strategy explains what the Council will do next.",
    "The Council Plan sets out our vision for the next four years.",
    "We would argue that the funding formula is unfair.",
])
def test_opponents_predictions_and_names_are_not_commitments(sentence):
    assert pledges(sentence, kind="campaign_statement", party="Labour") == []


def test_a_pronoun_and_a_modal_carry_on_the_pledge_before():
    text = ("We will extend the tram line to the airport. It will cut journey times by half "
            "by 2029. The airport is the region's largest employer.")
    assert pledges(text, kind="campaign_statement") == [
        "We will extend the tram line to the airport.",
        "It will cut journey times by half by 2029."]


def test_a_headline_in_title_case_is_not_a_pledge():
    text = "Labour Will Build A New Hospital For The Valley\n\nWe will build a new hospital."
    assert pledges(text, kind="campaign_statement") == ["We will build a new hospital."]


def test_a_lead_in_that_announces_its_list_is_not_a_pledge_itself():
    text = ("The Green Party is making four promises for this election:\n\n"
            "- Plant a tree for every resident\n- Light every footpath to the station\n")
    assert pledges(text, kind="manifesto", party="Green") == [
        "Plant a tree for every resident", "Light every footpath to the station"]


def test_a_consequence_of_an_opponent_winning_is_not_a_pledge():
    assert pledges("If the Conservatives win on Thursday, we will lose the last library.",
                   kind="campaign_statement", party="Labour") == []
    assert pledges("If we win on Thursday, we will reopen the library.",
                   kind="campaign_statement", party="Labour") == [
        "If we win on Thursday, we will reopen the library."]


def test_a_deadline_in_years_is_not_a_target_of_its_own():
    doc = parse_text(b"We will build 300 council homes within five years.",
                     document_id="y" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    targets = [(r.value, r.unit) for r in result.records if r.kind == "targets"]
    assert targets == [(300, "count")]


def test_a_target_in_a_pledge_of_several_sentences_is_its_own_sentence():
    doc = parse_text(b"- Cleaner streets. We will double the number of street sweepers. "
                     b"Residents deserve better.\n", document_id="z" * 64, markdown=True)
    doc.meta = {"kind": "manifesto"}
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert [r.text for r in result.records if r.kind == "targets"] == [
        "We will double the number of street sweepers."]


KPIS_WITH_CODES = """
| Ref | Performance indicator | Baseline | Target 2025/26 |
|---|---|---|---|
| EN01 | Household waste sent for reuse or recycling | 41% | 45% |
| EN02 | Streets rated clean on inspection | 88% | 92% |
"""

NUMBERED_PLAN = """
| No. | What we will do | Lead | Timescale |
|---|---|---|---|
| 1 | Review the allocations policy with tenants | Head of Housing | June 2026 |
| 2 | Publish an empty homes plan | Housing Options Manager | Ongoing |
| 3 | Open a second advice hub | Head of Customer Services | March 2027 |
"""


def kinds_found(markdown: str) -> dict[str, list]:
    doc = parse_text(markdown.encode(), document_id="t" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    found: dict[str, list] = {}
    for record in result.records:
        found.setdefault(record.kind, []).append(record)
    return found


def test_a_kpi_table_with_indicator_codes_gives_kpis_not_actions():
    found = kinds_found(KPIS_WITH_CODES)
    assert [k.measure for k in found["kpis"]] == [
        "Household waste sent for reuse or recycling", "Streets rated clean on inspection"]
    assert "actions" not in found


def test_a_plan_with_numbered_rows_and_a_lead_column_holds_actions():
    actions = kinds_found(NUMBERED_PLAN)["actions"]
    assert [(a.ref, a.text, a.deadline) for a in actions] == [
        ("1", "Review the allocations policy with tenants", "June 2026"),
        ("2", "Publish an empty homes plan", "Ongoing"),
        ("3", "Open a second advice hub", "March 2027")]
    assert actions[0].owners == "Head of Housing"


def test_an_imperative_statement_in_statement_data_is_a_commitment():
    from pledgeflow.parse.csv import parse_csv

    data = (b"party,statement\n"
            b"Labour,Scrap the bedroom tax for every council tenant.\n"
            b"Labour,Unemployment rose by two per cent last year.\n"
            b"Labour,Vote Labour on Thursday.\n")
    assert pledge_texts(parse_csv(data, document_id="c" * 64)) == [
        "Scrap the bedroom tax for every council tenant."]


def test_a_lead_in_naming_what_follows_is_not_a_pledge():
    text = ("The principles Labour wants at the heart of its programme are:\n\n"
            "- Build homes people can afford\n- Fund the bus network properly\n")
    assert pledges(text, kind="manifesto", party="Labour") == [
        "Build homes people can afford", "Fund the bus network properly"]


def test_a_plan_heading_does_not_make_a_record_a_pledge():
    text = ("# Our plan for Oakbridge\n\n## What we have done\n\n"
            "- We have opened two new libraries since 2022\n"
            "- Delivered 400 affordable homes\n"
            "- Halved the repairs backlog\n")
    assert pledges(text, kind="manifesto") == []


@pytest.mark.parametrize("sentence", [
    "We will make the council's own buildings net zero by 2030.",
    "Our plan will make the borough carbon neutral by 2038.",
])
def test_net_zero_is_a_target_of_zero(sentence):
    doc = parse_text(sentence.encode(), document_id="n" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    targets = [(r.value, r.year) for r in result.records if r.kind == "targets"]
    assert len(targets) == 1 and targets[0][0] == 0 and targets[0][1] in (2030, 2038)


def test_a_goal_stated_as_an_outcome_is_not_mistaken_for_a_record():
    text = ("Our goals for 2026:\n\n"
            "- Every school has an inclusion lead and exclusions are falling\n"
            "- Waiting times for assessments are under twelve weeks\n")
    assert pledges(text, kind="council_plan") == [
        "Every school has an inclusion lead and exclusions are falling",
        "Waiting times for assessments are under twelve weeks"]


@pytest.mark.parametrize("sentence, values", [
    ("We will build on the 3,540 places we have already created by adding 500 more places "
     "by 2027.", [500]),
    ("We will build 400 homes, up from 120 last year.", [400]),
    ("Since 2019 we delivered 400 homes and we will build 600 more homes.", [600]),
    ("We will spend £2m so that every child can learn to swim.", [2_000_000]),
])
def test_a_past_figure_inside_a_pledge_is_not_a_target(sentence, values):
    doc = parse_text(sentence.encode(), document_id="p" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert [r.value for r in result.records if r.kind == "targets"] == values


def test_the_last_of_something_is_not_a_past_figure():
    doc = parse_text(b"We will remove the last 15 level crossings on the line.",
                     document_id="q" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert [r.value for r in result.records if r.kind == "targets"] == [15]


def test_imperative_paragraphs_after_a_commitment_lead_in_are_its_items():
    text = ("Rents have risen faster than wages for a decade.\n\n"
            "A Labour council will:\n\n"
            "Build 300 homes for social rent on council land.\n\n"
            "License every private landlord in the borough.\n\n"
            "Housing is the issue residents raise most often.\n\n"
            "Cut the red tape that slows down planning.\n")
    found = pledges(text, kind="campaign_statement", party="Labour")
    assert found == ["Build 300 homes for social rent on council land.",
                     "License every private landlord in the borough."]


KPIS_WITH_LEADS = """
| Ref | Measure | Current | Q1 | Q2 | Q3 | Q4 | Lead officer |
|---|---|---|---|---|---|---|---|
| LS-01 | Library visits | 20,100 | 5,000 | 5,200 | 5,400 | 5,600 | Libraries Manager |
| LS-02 | Calls answered within a minute | 71% | 75% | 75% | 80% | 80% | Contact Centre Manager |
"""


def test_a_kpi_table_with_codes_and_a_lead_officer_column_is_not_a_plan_of_actions():
    found = kinds_found(KPIS_WITH_LEADS)
    assert "actions" not in found
    (visits, calls) = found["kpis"]
    assert (visits.measure, visits.baseline) == ("Library visits", "20,100")
    assert [t.period for t in visits.targets] == ["Q1", "Q2", "Q3", "Q4"]
    assert [t.raw for t in calls.targets] == ["75%", "75%", "80%", "80%"]


QUARTER_SO_FAR = """
| Ref | Indicator | Unit | Baseline | Q1 |
|---|---|---|---|---|
| CS-01 | Calls answered within a minute | % | 71% | 74% |
| CS-02 | Complaints answered within ten days | % | 80% | 83% |
"""


def test_a_lone_quarter_beside_a_baseline_reports_a_result_and_sets_no_target():
    # the quarters a plan sets make up a year (above); one quarter alone is a report's
    # result so far (or what a print left of a wider table)
    assert "kpis" not in kinds_found(QUARTER_SO_FAR)
    assert len(kinds_found(KPIS_WITH_LEADS)["kpis"]) == 2


UNNAMED_MEASURES = """
| | 2023/24 (actual) | 2024/25 | 2025/26 |
|---|---|---|---|
| Passenger journeys on the community bus | 9,200 | 9,500 | 10,000 |
| Villages with a daily bus | 12 | 14 | 16 |

| Service | 2024/25 | 2025/26 |
|---|---|---|
| Garden waste bin | £45 | £48 |
| Replacement bin | £25 | £25 |
"""


def test_a_blank_measure_header_over_figures_is_a_kpi_table_but_a_charges_table_is_not():
    kpis = kinds_found(UNNAMED_MEASURES)["kpis"]
    assert [(k.measure, k.baseline, [t.raw for t in k.targets]) for k in kpis] == [
        ("Passenger journeys on the community bus", "9,200", ["9,500", "10,000"]),
        ("Villages with a daily bus", "12", ["14", "16"])]


DEFINED_MEASURES = """<main><h1>How we will know</h1><table>
<tr><th>Measure</th><th>Baseline 2024/25</th><th>Target 2026/27</th></tr>
<tr><td>Streets lit each night<br><small>Lamps working at the monthly check</small></td>
    <td>91%</td><td>98%</td></tr>
<tr><td>Lido visits<div class="measure-description">Paid and free swims, from the till</div></td>
    <td>30,000 <small>(provisional)</small></td><td>35,000</td></tr>
<tr><td>Carers' pool sessions<br>booked online</td><td>1,200</td><td>1,500</td></tr>
</table></main>"""


def test_a_definition_in_small_type_under_a_measure_is_kept_apart_from_it():
    from pledgeflow.parse.html import parse_html

    doc = parse_html(DEFINED_MEASURES.encode(), document_id="d" * 64)
    result = run_extractors(doc, get_extractors(), build_nlp())
    kpis = [r for r in result.records if r.kind == "kpis"]
    assert [(k.measure, k.definition, k.baseline) for k in kpis] == [
        ("Streets lit each night", "Lamps working at the monthly check", "91%"),
        ("Lido visits", "Paid and free swims, from the till", "30,000 (provisional)"),
        ("Carers' pool sessions booked online", None, "1,200")]
    # the record still points at the whole cell it read
    start, end = kpis[0].provenance.start, kpis[0].provenance.end
    assert doc.text[start:end] == "Streets lit each night Lamps working at the monthly check"


KPI_CARDS = """<main><h1>Scorecard</h1><h2>Streets and leisure</h2>
<article><h3>Streets lit each night</h3>
<div><span>Baseline 2024/25</span><span>91%</span></div>
<div><span>2026/27 target</span><span>98%</span></div><p>On track</p></article>
<article><h3>Lido visits</h3>
<div><span>Now</span><span>30,000</span></div>
<div><span>Goal by 2028</span><span>35,000</span></div>
</article>
<h3>Carers' pool sessions</h3>
<dl><dt>Baseline (2024/25)</dt><dd>1,200</dd><dt>Aim by 2027</dt><dd>1,500</dd></dl>
<h2>Our district in figures</h2><h3>People</h3>
<p>Population (2021) 158,000</p><p>Households (2021) 65,000</p>
<h3>Places</h3><dl><dt>Parks</dt><dd>41</dd><dt>Libraries in 2024</dt><dd>9</dd></dl>
</main>"""


def test_a_kpi_card_is_a_kpi_but_a_heading_over_facts_in_figures_is_not():
    """A heading over labelled figures, one label naming a baseline and another a target,
    is one indicator, the label beside its figure or over it (a definition list);
    figures whose labels name no baseline and target are facts."""
    from pledgeflow.parse.html import parse_html

    doc = parse_html(KPI_CARDS.encode(), document_id="c" * 64)
    result = run_extractors(doc, get_extractors(), build_nlp())
    kpis = [r for r in result.records if r.kind == "kpis"]
    assert [(k.measure, k.baseline, k.baseline_value, [(t.period, t.raw, t.value)
                                                        for t in k.targets]) for k in kpis] == [
        ("Streets lit each night", "91%", 91.0, [("2026/27 target", "98%", 98.0)]),
        ("Lido visits", "30,000", 30000.0, [("Goal by 2028", "35,000", 35000.0)]),
        ("Carers' pool sessions", "1,200", 1200.0, [("Aim by 2027", "1,500", 1500.0)])]
    assert {k.provenance.rule for k in kpis} == {"kpi_card"}
    start, end = kpis[0].provenance.start, kpis[0].provenance.end
    assert doc.text[start:end].startswith("Streets lit each night")
    assert doc.text[start:end].endswith("2026/27 target 98%")



CARD_AS_TABLE = """<main><h1>Scorecard</h1>
<h2>Households helped into work</h2>
<table><tr><th>Baseline 2024</th><th>Target 2026</th><th>Target 2028</th></tr>
<tr><td>120</td><td>150</td><td>200</td></tr></table>
<p>On track</p>
<h2>Library visits</h2>
<table><tr><th>Branch</th><th>Visits</th></tr><tr><td>Central</td><td>41,000</td></tr></table>
<h2>Streets</h2>
<h2>Streets swept each week</h2>
<table><tr><th>Baseline</th><th>Target 2027</th></tr><tr><td>60%</td><td>80%</td></tr></table>
</main>"""


def test_a_card_whose_figures_are_a_table_of_labels_over_figures():
    """A heading over a two-row table, labels over figures (a PDF's row of figure tiles
    is read so), is a card, a section heading of the same level just above it or not; a
    two-row table whose labels name no baseline is not."""
    from pledgeflow.parse.html import parse_html

    doc = parse_html(CARD_AS_TABLE.encode(), document_id="d" * 64)
    result = run_extractors(doc, get_extractors(), build_nlp())
    kpis = [r for r in result.records if r.kind == "kpis"]
    assert [(k.measure, k.baseline, [(t.period, t.raw) for t in k.targets],
             k.provenance.rule) for k in kpis] == [
        ("Households helped into work", "120",
         [("Target 2026", "150"), ("Target 2028", "200")], "kpi_card"),
        ("Streets swept each week", "60%", [("Target 2027", "80%")], "kpi_card")]


REFERENCES_IN_SECOND_COLUMN = """
| Key initiative | Ref | Action | Deadline | Owner |
|---|---|---|---|---|
| Faster adaptations | AD1 | Bring grab rails and ramps under one contract | May 2026 | HoH |
| | AD2 | Publish waiting times for every adaptation each month | Ongoing | HoH |

| Quarter | Scrutiny | Cabinet |
|---|---|---|
| Q1 | 11 September 2025 | 23 September 2025 |
| Q2 | 4 December 2025 | 16 December 2025 |
"""


def test_references_in_a_later_column_and_a_timetable_that_is_no_plan():
    actions = kinds_found(REFERENCES_IN_SECOND_COLUMN)["actions"]
    assert [(a.ref, a.text, a.initiative) for a in actions] == [
        ("AD1", "Bring grab rails and ramps under one contract", "Faster adaptations"),
        ("AD2", "Publish waiting times for every adaptation each month", "Faster adaptations")]


PROSE_ACTIONS = """# Theme 2: Connected villages

Action 2.1: Map every village's bus links (Lead: Transport Officer, by June 2026)

Action 2.2: Run a volunteer driver scheme (Lead: Community Development Officer, annually in April)

The actions were agreed by Cabinet in March.
"""


def test_labelled_actions_in_prose_are_actions_with_their_lead_and_deadline():
    actions = kinds_found(PROSE_ACTIONS)["actions"]
    assert [(a.ref, a.text, a.owners, a.deadline) for a in actions] == [
        ("2.1", "Map every village's bus links", "Transport Officer", "June 2026"),
        ("2.2", "Run a volunteer driver scheme", "Community Development Officer",
         "annually in April")]


def targets(markdown: str) -> list[tuple[str, float | None, str]]:
    doc = parse_text(markdown.encode("utf-8"), document_id="t" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    return [(r.text, r.value, r.unit) for r in result.records if r.kind == "targets"]


@pytest.mark.parametrize(("sentence", "value", "unit"), [
    ("We will cut waiting times for knee operations to 18 weeks.", 18.0, "weeks"),
    ("We will make sure no one waits more than 4 hours at the walk-in centre.", 4.0, "hours"),
    ("We will answer every repair request within 48 hours.", 48.0, "hours"),
    # the hours are the aim; "three and four year olds" are ages, not a count
    ("We will fund 30 hours of childcare for all three and four year olds.", 30.0, "hours"),
    ("We will raise the number of park rangers from 12 to 30.", 30.0, "count"),
    ("We will lift the recycling rate from 41% to 60%.", 60.0, "%"),
    ("We will cut food waste by three quarters.", 75.0, "%"),
    ("We will bring pedestrian deaths on our roads to zero.", 0.0, "count"),
    ("We will run a tram every 8 minutes until midnight.", 8.0, "minutes"),
])
def test_an_aim_stated_as_a_time_a_move_a_fraction_nothing_or_a_frequency(
        sentence, value, unit):
    assert targets(sentence) == [(sentence, value, unit)]


def test_a_span_of_years_is_no_move_to_a_figure():
    assert targets("We will keep every library open from 2026 to 2030.") == []



def test_a_sentence_ends_after_a_name_with_an_ampersand():
    text = "We will open a new A&E. We will recruit 40 more nurses."
    assert pledges(text, kind="campaign_statement") == [
        "We will open a new A&E.", "We will recruit 40 more nurses."]


def test_a_leader_the_page_names_as_its_own_speaks_for_it():
    text = ("Leader: Morag Whitlow\n\nWhitlow's plan will hire 300 more school nurses.\n\n"
            "Conservative leader Dan Prior: Prior's plan will sell the bus depot.\n")
    assert pledges(text, kind="campaign_statement", party="Labour") == [
        "Whitlow's plan will hire 300 more school nurses."]


@pytest.mark.parametrize("sentence", [
    "The Greens have made a pledge to reopen every branch library.",
    "Our ambitions for the next ten years are to build 900 homes for social rent.",
    "Our priorities over the coming term are to fix the roads and light the parks.",
])
def test_a_pledge_made_and_aims_stated_over_a_period(sentence):
    assert pledges(sentence, kind="campaign_statement", party="Green") == [sentence]


def test_a_first_person_commitment_set_as_a_heading_is_a_pledge():
    text = ("# Transport\n\n## We'll campaign for cheaper and later buses\n\n"
            "## We Will Build A Better Borough\n\nText.\n")
    assert pledges(text, kind="manifesto") == ["We'll campaign for cheaper and later buses"]


def test_paragraphs_numbered_in_turn_after_a_lead_in_are_its_items():
    from pledgeflow.parse.html import parse_html

    page = (b"<html><body><h1>Ashcombe Labour</h1><p>Our three pledges are:</p>"
            b"<p>1: Keeping every library open.</p><p>2: Building homes people can afford.</p>"
            b"<p>3: A cleaner, greener Ashcombe.</p><p>In 2019: 40 homes were built.</p>"
            b"</body></html>")
    doc = parse_html(page, document_id="h" * 64)
    doc.meta = {"kind": "manifesto"}
    assert pledge_texts(doc) == [
        "Keeping every library open.", "Building homes people can afford.",
        "A cleaner, greener Ashcombe."]


def test_a_later_sentence_of_an_item_holds_a_target_only_when_it_commits():
    text = ("# Homes for all\n\n"
            "- Build 2,000 council homes. This will cost £300 million over four years.\n"
            "- Cap rents for good. A family can rent a flat for under £700 a month now.\n")
    assert [(t, v) for t, v, _ in targets(text)] == [
        ("Build 2,000 council homes.", 2000.0),
        ("This will cost £300 million over four years.", 300_000_000.0)]


def test_a_forecast_is_no_target_and_an_amount_ends_a_sentence_whole():
    assert [v for _, v, _ in targets(
        "We will hire 150 teachers for an estimated 4,000 new pupils.")] == [150.0]
    assert [v for _, v, _ in targets(
        "We will back the plan with an investment of over £49m.")] == [49_000_000.0]


def test_a_timeline_of_the_first_days_in_office_holds_pledges_however_worded():
    text = ("# Our first 100 days\n\nWe're ready.\n\n## First week\n\n"
            "Ministers meet the heads of every council department for briefings\n\n"
            "Dates announced for the new town hall consultation\n\n"
            "## Our record\n\nThe depot was sold in 2019 for a small sum of money.\n")
    assert pledges(text, kind="campaign_statement") == [
        "Ministers meet the heads of every council department for briefings",
        "Dates announced for the new town hall consultation"]


@pytest.mark.parametrize("sentence", [
    "The Greens say they will open a repair cafe in every ward.",
    "The Green Party said it would scrap the charge for garden waste.",
    "The Greens pledged to reopen the swimming baths.",
])
def test_a_commitment_reported_as_news_puts_it(sentence):
    assert pledges(sentence, kind="campaign_statement", party="Green") == [sentence]


def test_a_report_of_the_past_is_no_commitment():
    assert pledges("The Greens said that the council had wasted money on consultants.",
                   kind="campaign_statement", party="Green") == []


def html_found(page: str) -> dict[str, list]:
    from pledgeflow.parse.html import parse_html

    doc = parse_html(page.encode("utf-8"), document_id="a" * 64)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert not result.errors
    found: dict[str, list] = {}
    for record in result.records:
        found.setdefault(record.kind, []).append(record)
    return found


def test_a_table_built_of_divs_with_aria_roles_is_read_as_a_table():
    page = ("<html><body><main><h1>Our plan</h1><div role='table'>"
            "<div role='row'><span role='columnheader'>Survey question</span>"
            "<span role='columnheader'>2024 result</span>"
            "<span role='columnheader'>2027 aim</span></div>"
            "<div role='row'><span role='cell'>Residents who trust the council</span>"
            "<span role='cell'>51%</span><span role='cell'>60%</span></div>"
            "<div role='row'><span role='cell'>Residents who feel informed</span>"
            "<span role='cell'>44%</span><span role='cell'>55%</span></div>"
            "</div></main></body></html>")
    kpis = html_found(page)["kpis"]
    assert [(k.measure, k.baseline, [t.raw for t in k.targets]) for k in kpis] == [
        ("Residents who trust the council", "51%", ["60%"]),
        ("Residents who feel informed", "44%", ["55%"])]


REFERENCED_ACTIONS = (
    "# Key actions\n\n"
    "1. RS1 – Move parking permits into residents' online accounts. Deadline: Q2 2026/27. "
    "Owner: Digital Services Manager.\n"
    "2. RS2 – Open a second customer service point in Hallam. Deadline: March 2027. "
    "Owner: Customer Services Manager.\n\n"
    "A1 road improvements are a matter for the county council.\n")


def test_an_action_opening_with_its_reference_and_naming_its_deadline_and_owner():
    found = kinds_found(REFERENCED_ACTIONS)
    assert [(a.ref, a.text, a.deadline, a.owners) for a in found["actions"]] == [
        ("RS1", "Move parking permits into residents' online accounts", "Q2 2026/27",
         "Digital Services Manager"),
        ("RS2", "Open a second customer service point in Hallam", "March 2027",
         "Customer Services Manager")]
    assert "pledges" not in found  # an action record is not also a pledge


def test_an_action_whose_deadline_and_lead_stand_on_the_line_after_it():
    page = ("<html><body><main><h1>Key actions</h1><dl>"
            "<dt>GR-1 Agree a partner for the Canal Wharf housing site</dt>"
            "<dd>Complete by October 2026 &middot; Led by Director of Growth</dd>"
            "<dt>GR-2 Adopt the new Local Plan</dt>"
            "<dd>Complete by Spring 2027 &middot; Led by Head of Planning</dd>"
            "</dl></main></body></html>")
    actions = html_found(page)["actions"]
    assert [(a.ref, a.text, a.deadline, a.owners) for a in actions] == [
        ("GR-1", "Agree a partner for the Canal Wharf housing site", "October 2026",
         "Director of Growth"),
        ("GR-2", "Adopt the new Local Plan", "Spring 2027", "Head of Planning")]


def test_a_budget_table_is_no_plan_of_actions():
    found = kinds_found(
        "# Paying for the plan\n\n"
        "| Service | 2025/26 budget | 2026/27 forecast |\n|---|---|---|\n"
        "| Housing | 14.2 | 15.8 |\n| Waste and streets | 22.7 | 24.9 |\n"
        "| Leisure | 8.6 | 8.4 |\n")
    assert "actions" not in found


def test_a_labelled_action_a_list_lead_in_and_the_pages_own_links_are_not_pledges():
    text = ("# Our priorities\n\n"
            "Over the next two years we will:\n\n"
            "- Open a youth centre in Eastfield\n- Fix every reported streetlight within a week\n\n"
            "Action 1.1: Recruit six youth workers (Lead: Head of Youth Services, by May 2026)\n\n"
            "## Related documents\n\n- Annual report 2024/25\n- Budget book 2025/26\n")
    assert pledges(text, kind="council_plan") == [
        "Open a youth centre in Eastfield", "Fix every reported streetlight within a week"]


def test_a_progress_table_whose_updates_open_with_a_status_holds_updates_not_actions():
    found = kinds_found(
        "# Council Plan actions: progress at Quarter 2\n\n"
        "| Ref | Action | Due | Lead | Progress |\n|---|---|---|---|---|\n"
        "| CP-01 | Open the Eastfield family hub | June 2026 | Head of Early Help "
        "| On track – the building work started in August. |\n"
        "| CP-02 | Replace the housing IT system | March 2027 | Head of Housing "
        "| Delayed – the contract was let two months late. |\n")
    assert "actions" not in found
    assert [(u.ref, u.status, u.text) for u in found["action_updates"]] == [
        ("CP-01", "on track", "the building work started in August."),
        ("CP-02", "delayed", "the contract was let two months late.")]


def test_quarters_beside_an_annual_target_and_a_rag_status_are_results_not_targets():
    found = kinds_found(
        "# Performance at Quarter 2 2025/26\n\n"
        "| Ref | Indicator | Baseline | Q1 | Q2 | Q3 | Q4 | Annual target | Status |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| PI1 | Council tax collected | 96.8% | 28.9% | 56.1% | | | 97.0% | Green |\n"
        "| PI2 | Invoices paid within 30 days | 94.5% | 96.2% | 93.0% | | | 97% | Amber |\n")
    assert "kpis" not in found
    assert [(o.actual, o.status) for o in found["outturns"]] == [
        ("56.1%", "green"), ("93.0%", "amber")]


FUNDING_LIST = """# Moving Westhaven

{lead_in}

- $40 million to rebuild the Harbour Road bridge;
- $12.5 million for the Northside bus interchange;
- $3 million a year towards school crossings.
"""


def test_a_list_of_amounts_put_to_purposes_is_a_list_of_funding_pledges():
    text = FUNDING_LIST.format(lead_in="We back projects across the region, including:")
    assert pledges(text, kind="campaign_statement") == [
        "$40 million to rebuild the Harbour Road bridge;",
        "$12.5 million for the Northside bus interchange;",
        "$3 million a year towards school crossings."]
    doc = parse_text(text.encode(), document_id="f" * 64, markdown=True)
    doc.meta = {"kind": "campaign_statement"}
    found = run_extractors(doc, get_extractors(), build_nlp()).records
    assert [t.value for t in found if t.kind == "targets"] == [40e6, 12.5e6, 3e6]


@pytest.mark.parametrize("lead_in", ["Since 2022 we have invested:", "Last year we funded:"])
def test_amounts_after_a_lead_in_that_reports_the_past_were_spent_not_pledged(lead_in):
    assert pledges(FUNDING_LIST.format(lead_in=lead_in), kind="campaign_statement") == []


def test_amounts_set_as_paragraphs_in_a_row_are_funding_pledges_unless_reported_spent():
    text = ("Our plan for Westhaven.\n\n$40 million to rebuild the Harbour Road bridge.\n\n"
            "$12.5 million for the Northside bus interchange.\n\n"
            "$3 million a year towards school crossings.\n")
    assert len(pledges(text, kind="campaign_statement")) == 3
    spent = text.replace("Our plan for Westhaven.", "Since 2022 we have invested:")
    assert pledges(spent, kind="campaign_statement") == []


def test_a_list_of_what_a_plan_says_about_each_aim_holds_no_pledge():
    assert pledges("# Our improvement plan\n\nFor each priority we state:\n\n"
                   "- what we hope to achieve;\n- why we chose it;\n- how we plan to do it; and\n"
                   "- how we will measure success.\n", kind="council_plan") == []


def test_what_follows_the_authors_election_is_a_pledge_and_the_opponents_is_not():
    assert pledges("# Westhaven Greens\n\nIf the Greens are elected, new crossings will be "
                   "open within a year.\n\nIf we are returned in May, the pool will reopen.\n\n"
                   "If the Conservatives are elected, your taxes will go up.\n",
                   kind="campaign_statement", party="Green Party") == [
        "If the Greens are elected, new crossings will be open within a year.",
        "If we are returned in May, the pool will reopen."]


def test_the_authors_plan_reported_by_a_newspaper_is_a_pledge():
    assert pledges("# Nurses promised\n\nThe Greens said the new fund would help train 300 "
                   "nurses.\n\nEconomists said the plan would cost more than forecast.\n",
                   kind="campaign_statement", party="Green Party") == [
        "The Greens said the new fund would help train 300 nurses."]


def test_an_item_opening_with_a_verb_in_ise_is_an_order():
    assert len(pledges("# Our priorities\n\n- Localise energy production across the county\n"
                       "- Prioritise repairs to rural roads\n- Modernise the library service\n",
                       kind="manifesto")) == 3


def test_a_line_with_no_marker_after_a_numbered_item_stands_alone_in_plain_text():
    text = ("1. Clean air for every street\n2. A bus service that runs on Sundays\n"
            "Read our full plan below.\n- Plant a tree for every child\n")
    doc = parse_text(text.encode(), document_id="p" * 64)
    assert [(b.kind, b.text, b.lead_in) for b in doc.blocks] == [
        ("list_item", "Clean air for every street", None),
        ("list_item", "A bus service that runs on Sundays", None),
        ("paragraph", "Read our full plan below.", None),
        ("list_item", "Plant a tree for every child", "Read our full plan below.")]
    wrapped = parse_text(b"- Plant a tree for every child\n  born in the borough\n",
                         document_id="q" * 64)
    assert [b.text for b in wrapped.blocks] == ["Plant a tree for every child born in the borough"]


def test_a_document_saying_what_it_holds_and_a_forecast_of_the_vote_are_no_pledges():
    assert pledges("# Our plan\n\nThis manifesto details how, over the next four years, we "
                   "will renew the town centre.\n\nSome assume that the Tories will be "
                   "re-elected.\n\nWe will renew the town centre.\n", kind="manifesto",
                   party="Conservative") == ["We will renew the town centre."]


def test_a_copy_that_stops_in_mid_sentence_loses_that_sentence_only():
    text = ("# Our plan\n\nWe will open a library in every ward.\n\n"
            "We will build a lido. We will also plant an orchard and we w\n")
    assert pledges(text, kind="manifesto", party="Labour") == [
        "We will open a library in every ward.", "We will build a lido."]
    whole = text.replace("and we w", "and a meadow")
    assert pledges(whole, kind="manifesto", party="Labour")[-1] == (
        "We will also plant an orchard and a meadow")


def test_the_author_campaigning_for_a_change_and_the_government_its_leader_leads():
    assert pledges("# Westhaven Greens\n\nWe are campaigning for a new bridge.\n\n"
                   "The Greens have called for free buses.\n\nResidents called for a new pool.\n\n"
                   "The government I lead will reopen the ferry.\n",
                   kind="campaign_statement", party="Green Party") == [
        "We are campaigning for a new bridge.", "The Greens have called for free buses.",
        "The government I lead will reopen the ferry."]


def test_rows_after_a_lead_in_naming_proposals_are_its_items_even_with_needs_as_a_noun():
    from pledgeflow.parse.csv import parse_csv

    rows = ["Key proposals from the manifesto include:",
            "A new fund for pupils with special educational needs, and free school meals.",
            "A new bus route for every village."]
    data = "party,statement\n" + "".join(f'Westhaven Greens,"{r}"\n' for r in rows)
    doc = parse_csv(data.encode(), document_id="r" * 64)
    doc.meta = {"kind": "campaign_statement"}
    assert pledge_texts(doc) == rows[1:]


def test_statement_rows_with_commas_and_doubled_quotes_stay_whole():
    """Python's csv sniffer reads quoting from the file's opening only: with no doubled
    quote there it says quotes are never doubled, and a quoted statement further down
    ('She said: ""We will ..., and ...""') is cut at its first comma. Rows are read as a
    spreadsheet writes them, whatever the opening holds."""
    from pledgeflow.parse.csv import parse_csv

    rows = [f"Row {n}: we will mend the footpaths, the fences and the lights of ward {n}."
            for n in range(60)]  # well past the sniffer's sample, with no quote in it
    rows += ['She said: "We will fix the roads, and we will do it fast."',
             '"If elected, my priorities will be roads, paths and broadband," he said.']
    data = "party,statement\n" + "".join(
        'Riverside Independents,"{}"\n'.format(r.replace('"', '""')) for r in rows)
    doc = parse_csv(data.encode(), document_id="q" * 64)
    assert [b.text for b in doc.blocks] == rows
    assert doc.blocks[-1].section == ["row 63 (party: Riverside Independents)"]


def test_two_words_in_a_row_of_orders_are_a_heading_not_a_pledge():
    text = "Build more\n\nFix our roads\n\nMake housing fair\n\nOpen the pool on Sundays\n"
    assert pledges(text, kind="campaign_statement") == [
        "Fix our roads", "Make housing fair", "Open the pool on Sundays"]


def test_the_authors_plan_named_with_what_it_will_do_is_a_pledge():
    assert pledges("# Letters\n\nLocal shops will thrive with our plan to cut business rates "
                   "by half.\n\nWe reaffirm our commitment to a fairer town.\n",
                   kind="campaign_statement") == [
        "Local shops will thrive with our plan to cut business rates by half."]


def test_a_cut_off_last_line_shorter_than_a_footer_is_still_cut_off():
    assert pledges("# Our plan\n\nWe will:\n\n- Build a lido.\n- Open a library.\n- A bl\n",
                   kind="manifesto") == ["Build a lido.", "Open a library."]


def test_a_lead_in_with_content_of_its_own_before_naming_its_list_is_a_pledge_too():
    found = pledges("# Our plan\n\nLabour wants to put the council's finances on a stable "
                    "footing, with honest leadership and clear priorities:\n\n- Fix the roads\n\n"
                    "Our plan includes the following commitments:\n\n- Open the pool\n\n"
                    "We are making five key promises:\n\n- Fix the bins\n",
                    kind="manifesto", party="Labour")
    assert found == ["Labour wants to put the council's finances on a stable footing, with "
                     "honest leadership and clear priorities:", "Fix the roads", "Open the pool",
                     "Fix the bins"]


def test_a_call_to_read_or_watch_under_a_pledges_heading_and_an_offer_are_no_pledges():
    assert pledges("# Our pledges\n\nCheck out the livestream of our launch here!\n\n"
                   "Read more about the team's priorities.\n\nCut waiting lists at the "
                   "health centre by half.\n\nThe Greens are offering a fresh start for "
                   "the town.\n",
                   kind="manifesto", party="Green Party") == [
        "Cut waiting lists at the health centre by half."]


def test_a_slogan_setting_the_author_against_all_others_is_no_pledge():
    assert pledges("# News\n\nOnly the Greens will deliver free buses for all\n\n"
                   "The Greens will deliver free buses for all under-18s.\n",
                   kind="campaign_statement", party="Green Party") == [
        "The Greens will deliver free buses for all under-18s."]


def test_the_last_row_of_statement_data_cut_off_in_mid_word_is_no_pledge():
    from pledgeflow.parse.csv import parse_csv

    rows = ["Scrap the bedroom tax.", "Build 500 council homes.", "Provide more funding for the"]
    data = "party,statement\n" + "".join(f'Westhaven Greens,"{r}"\n' for r in rows)
    doc = parse_csv(data.encode(), document_id="c" * 64)
    doc.meta = {"kind": "campaign_statement"}
    assert pledge_texts(doc) == rows[:2]


def test_the_statement_under_a_numbered_label_is_a_pledge_whatever_its_grammar():
    text = ("# Our plan for Westhaven\n\nMission 1\n\nEvery street in the valley is lit "
            "and swept each week\n\nMission 2\n\nChildren walk to school on quiet, "
            "shaded paths\n\nPriority 3\n\nWhat will we do next?\n")
    assert pledges(text, kind="council_plan") == [
        "Every street in the valley is lit and swept each week",
        "Children walk to school on quiet, shaded paths"]


def test_a_numbered_title_before_its_own_lead_in_is_not_a_pledge():
    text = ("# Our commitments\n\n1. Our greener valley\n\nBuilding on our record, we will:\n\n"
            "- Plant a tree for every child born in the town\n")
    assert pledges(text, kind="manifesto") == ["Plant a tree for every child born in the town"]


def test_items_under_a_conditional_lead_in_set_as_quoted_headings_are_pledges():
    from pledgeflow.parse import parse

    items = ["Reopen the lido", "Light every footpath", "Halve the bus fares",
             "Support carers"]
    page = ("<html><body><main><h1>Launch</h1><p>The party set out its plans at a launch in "
            "the town today.</p><p>She said that a Labour government led by her "
            "would:</p>" + "".join(f"<h2>\"{item}</h2>" for item in items)
            + "<p>The leader spoke to supporters in the town hall.</p></main></body></html>")
    doc = parse(page.encode(), "text/html", document_id="h" * 64, url="file:///launch.html")
    doc.meta = {"kind": "campaign_statement", "party": "Labour"}
    assert [text.strip('"') for text in pledge_texts(doc)] == items
    theirs = page.replace("a Labour government", "a Conservative government")
    doc = parse(theirs.encode(), "text/html", document_id="i" * 64, url="file:///launch.html")
    doc.meta = {"kind": "campaign_statement", "party": "Labour"}
    assert pledge_texts(doc) == []


def test_a_run_of_short_orders_after_a_colon_and_a_quoted_last_item_are_pledges():
    text = ('They said a Westhaven Greens council would:\n\n"Build new parks\n\n'
            '"Support carers\n\n"Deliver Warm Council Homes by 2030."\n\n'
            "The leader spoke to supporters in the town hall.\n")
    assert pledges(text, kind="campaign_statement") == [
        '"Build new parks', '"Support carers', '"Deliver Warm Council Homes by 2030."']


def test_more_wordings_of_a_commitment():
    text = ("# Our offer\n\nWe are dedicated to keeping every village school open.\n\n"
            "That is why we have set ourselves a goal to halve bus fares.\n\n"
            "If residents vote for the Greens in May, every library will stay open.\n\n"
            "If voters back the Conservatives, every library will close.\n\n"
            "We will cut the sales tax. This reduction would save each household £200. "
            "This election will be close.\n\nGet in touch, we want to hear from you.\n")
    assert pledges(text, kind="campaign_statement", party="Green Party") == [
        "We are dedicated to keeping every village school open.",
        "That is why we have set ourselves a goal to halve bus fares.",
        "If residents vote for the Greens in May, every library will stay open.",
        "We will cut the sales tax.", "This reduction would save each household £200."]


def test_a_headline_row_in_statement_data_is_not_a_pledge_where_rows_close():
    from pledgeflow.parse.csv import parse_csv

    rows = ["Westhaven Greens pledge to reopen the lido",
            "We will reopen the lido by the summer.",
            "The lido will be heated by solar panels.",
            "We will also open two new health centres."]

    def found(statements: list[str]) -> list[str]:
        data = "party,statement\n" + "".join(f'Green Party,"{r}"\n' for r in statements)
        doc = parse_csv(data.encode(), document_id="t" * 64)
        doc.meta = {"kind": "campaign_statement"}
        return pledge_texts(doc)

    assert rows[0] not in found(rows)
    # where no row closes with a stop, a row without one is no headline
    unclosed = [r.rstrip(".") for r in rows]
    assert unclosed[0] in found(unclosed)


def test_an_aside_an_appeal_and_a_list_of_values():
    text = ("# Our promise\n\nUnlike the Conservatives, we will keep every library open.\n\n"
            "The Eastbrook Greens are calling on residents to stand with them on polling "
            "day.\n\nWe are calling on the government to scrap the parking charge.\n\n"
            "Our target of reaching net zero by 2035 is ten years ahead of the national "
            "one.\n\nTo do that, we are supporting carers to take a break each week.\n\n"
            "## Our values\n\n- Openness and honesty\n- Fairness for all\n\n"
            "## Our pledges\n\n- Ensure every park has been surveyed for its trees\n"
            "- Free swimming for every carer\n")
    assert pledges(text, kind="manifesto", party="Green Party") == [
        "Unlike the Conservatives, we will keep every library open.",
        "We are calling on the government to scrap the parking charge.",
        "Our target of reaching net zero by 2035 is ten years ahead of the national one.",
        "To do that, we are supporting carers to take a break each week.",
        "Ensure every park has been surveyed for its trees",
        "Free swimming for every carer"]


def test_a_year_naming_an_event_is_no_count_and_a_short_aside_keeps_its_sentence():
    text = ("# What we will do\n\nOur 2026 election promises will be costed.\n\n"
            "We will extend free childcare to 30 hours – as long as a school week – by "
            "September 2027.\n\nWe will build 2026 homes by 2030.\n")
    targets = kinds_found(text)["targets"]
    assert [(t.text, t.value, t.unit) for t in targets] == [
        ("We will extend free childcare to 30 hours – as long as a school week – by "
         "September 2027.", 30.0, "hours"),
        ("We will build 2026 homes by 2030.", 2026.0, "count")]


def test_a_copy_cut_off_inside_a_word_loses_its_last_item_but_not_a_whole_word():
    """The last item stops on the first letters of a word the page spells out in full
    elsewhere ("Counc" beside "Council"): what it promised is lost. A whole word that only
    has a longer form elsewhere ("school" beside "schools") is no such stop."""
    cut = ("# Our pledges for the Council\n\n- Open the lido every summer\n"
           "- Keep the Council's libraries open\n- Ask every ward to report to the Counc\n")
    assert pledges(cut, kind="manifesto") == [
        "Open the lido every summer", "Keep the Council's libraries open"]
    whole = ("# Our pledges for schools\n\n- Open the lido to all schools\n"
             "- Plant an orchard at every primary school\n")
    assert pledges(whole, kind="manifesto") == [
        "Open the lido to all schools", "Plant an orchard at every primary school"]


def test_labelled_orders_list_joiners_demands_and_views():
    """An element label over an order is a pledge, a statement under one is not; "; and"
    ends an item before the last, not a copy, and the item after it closes the list;
    "we demand ..." commits as "we call for ..." does; "we must recognise that ..." is a
    view; "Get involved" calls, "Get the budget under control" orders."""
    text = ("# Corporate plan\n\nObjective 2.1: Improve the district's cycle routes\n\n"
            "Outcome 3: Residents are healthier and happier\n\n"
            "Our plan for the next four years will:\n\n"
            "Keep council tax increases below inflation;\n\n"
            "Get the budget back under control; and\n\n"
            "Rebuild the leisure centre at Millfield.\n\n"
            "A plan shaped by residents\n\n"
            "We demand an independent review of the bus contract.\n\n"
            "First, we must recognise that every town has its own needs.\n\n"
            "## Join us\n\n- Get involved with the campaign\n- Get in touch with your team\n")
    assert pledges(text, kind="council_plan") == [
        "Improve the district's cycle routes",
        "Keep council tax increases below inflation;",
        "Get the budget back under control; and",
        "Rebuild the leisure centre at Millfield.",
        "We demand an independent review of the bus contract."]


def test_an_item_that_only_leads_in_and_a_lead_in_that_names_its_list():
    text = ("# Our manifesto\n\n## Our values and missions\n\n"
            "The party has three missions for government:\n\n- Cut hospital waiting lists\n"
            "- Build a new secondary school\n- Restore the weekly bin collection\n\n"
            "## Jobs\n\n- We are worried about the closure of the depot, so we will:\n"
            "- Open a training centre in the old depot\n- Back local apprenticeships\n")
    assert pledges(text, kind="manifesto") == [
        "Cut hospital waiting lists", "Build a new secondary school",
        "Restore the weekly bin collection", "Open a training centre in the old depot",
        "Back local apprenticeships"]


def test_a_row_opening_with_a_preposition_is_no_order():
    """'Over', 'up', 'down', 'round' and 'near' are verbs in the general list, but an item
    or a row opening with them states a time or a place, not an order."""
    from pledgeflow.parse.csv import parse_csv

    rows = ["Over the past two years, families have faced rising bills.",
            "Over the next term I will work with the council and residents to:",
            "Cap bus fares at two pounds.",
            "Near the station, parking has doubled in price."]
    data = "party,statement\n" + "".join(f'Green Party,"{r}"\n' for r in rows)
    doc = parse_csv(data.encode(), document_id="o" * 64)
    doc.meta = {"kind": "campaign_statement"}
    assert pledge_texts(doc) == ["Cap bus fares at two pounds."]


ORDERS_UNDER_THEIR_OWN_HEADINGS = """# Our ideas

## A stronger local economy

### Reopen the market hall

Reopen the covered market hall with low rents for new traders.

### Cheaper bus fares

Cap single bus fares at one pound for everyone under twenty-one.

Run the night bus to the hospital every half hour.

### Fair council tax

Freeze the council tax for the first two years of the term.

## Contact us

Find out more about our candidates.
"""


def test_a_programme_gives_each_order_a_heading_of_its_own():
    # a run of orders in a manifesto goes on across the headings set over each; a page
    # the catalog does not call a programme keeps its runs within one section
    orders = ["Reopen the covered market hall with low rents for new traders.",
              "Cap single bus fares at one pound for everyone under twenty-one.",
              "Run the night bus to the hospital every half hour.",
              "Freeze the council tax for the first two years of the term."]
    assert pledges(ORDERS_UNDER_THEIR_OWN_HEADINGS, kind="manifesto") == orders
    assert pledges(ORDERS_UNDER_THEIR_OWN_HEADINGS, kind="news") == []
