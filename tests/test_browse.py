"""Browsing in Datasette: read-only, with metadata and canned queries."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from pledgeflow.research.browse import QUERIES


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def served(browsing):
    return browsing.database_url, browsing.db


def test_every_table_has_a_title_description_and_column_notes(served):
    base, _ = served
    status, meta = get(base.rsplit("/", 1)[0] + "/-/metadata.json")
    assert status == 200
    tables = meta["databases"]["pf"]["tables"]
    for table in ("sources", "documents", "blocks", "pledges", "targets", "kpis", "actions",
                  "risks", "changes", "runs", "failures"):
        assert tables[table]["title"] and tables[table]["description"], table
    assert tables["pledges"]["columns"]["rule"].startswith("The rule")
    with urllib.request.urlopen(base + "/pledges", timeout=10) as page:
        html = page.read().decode()
    assert "Commitments, one per sentence" in html


def test_every_canned_query_runs(served):
    base, _ = served
    params = {"organisation": "Labour", "term": "school", "start": "2018-01",
              "end": "2020-12", "since": "2000-01-01", "council": "Cheshire"}
    words = {"pledge_to_measures": "rated Good", "measure_to_pledges": "good or better",
             "pledge_in_context": "apprenticeships", "pledge_on_track": "rated Good"}
    for name in QUERIES:
        query = {**params, "words": words.get(name, "")}
        status, data = get(f"{base}/{name}.json?" + urllib.parse.urlencode(query))
        assert status == 200, (name, data)
        if name != "changes_since":
            assert data["rows"], name


def test_a_pledge_shows_its_source_page_and_surrounding_text(served):
    base, _ = served
    status, data = get(f"{base}/pledge_in_context.json?_shape=objects&words=2000+new")
    assert status == 200
    (row,) = data["rows"]
    assert row["page"] == 1 and row["url"].endswith("ealing-pledges-2022.pdf")
    assert "Secure 2000 new diverse apprenticeships" in row["block_text"]


def test_writes_through_the_browser_are_impossible(served):
    base, db = served
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for sql in ("delete from pledges", "update pledges set text = 'x'",
                "insert into sources (id) values ('x')", "drop table pledges",
                "pragma writable_schema = 1", "attach database 'x.db' as x"):
        status, data = get(f"{base}.json?" + urllib.parse.urlencode({"sql": sql}))
        assert status >= 400 or data.get("ok") is False, sql
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    status, data = get(f"{base}/pledges.json?_size=0")
    assert status == 200 and data["filtered_table_rows_count"] == 139


def test_browse_refuses_a_foreign_database(tmp_path):
    import sqlite3

    from click.testing import CliRunner

    from pledgeflow.cli import main

    foreign = tmp_path / "shop.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("create table orders (id integer)")
    result = CliRunner().invoke(main, ["browse", "--db", str(foreign)])
    assert result.exit_code == 1 and "refusing" in result.output


def test_pledges_facet_by_organisation_party_topic_and_period(served):
    base, _ = served
    status, data = get(f"{base}/pledge_details.json?_size=0")
    assert status == 200
    facets = data["facet_results"]
    assert {"organisation", "party", "council", "topic", "kind", "specific",
            "period"} <= set(facets)
    parties = {f["value"]: f["count"] for f in facets["party"]["results"]}
    assert parties["Liberal Democrats"] == 20


def test_every_column_of_every_browsed_table_is_described(sample_run):
    from pledgeflow.research.browse import metadata
    from pledgeflow.store.db import open_db

    db = open_db(sample_run.db_path)
    tables = metadata("pledgeflow")["databases"]["pledgeflow"]["tables"]
    assert {"pledges", "targets", "kpis", "kpi_targets", "actions", "risks"} <= set(tables)
    undocumented = {f"{t}.{c}" for t, meta in tables.items()
                    for c in (db[t] if t in db.table_names() else db.view(t)).columns_dict
                    if not meta["columns"].get(c)}
    assert undocumented == set()


def search(base: str, term: str) -> tuple[int, list[str]]:
    """The texts the canned query "Pledges mentioning a term" finds for what was typed."""
    status, data = get(f"{base}/pledges_mentioning.json?_shape=objects&"
                       + urllib.parse.urlencode({"term": term}))
    assert status == 200, (term, data)
    return status, [row["text"] for row in data["rows"]]


def current_pledges(db) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return [text for (text,) in conn.execute("select text from current_pledges")]


def test_every_canned_query_opens_before_a_value_is_typed(served):
    """Datasette runs a canned query as its page opens, every parameter ''."""
    import sqlite3

    base, db = served
    answers = {}
    for name in QUERIES:
        status, data = get(f"{base}/{name}.json?_shape=objects")
        assert status == 200, (name, data)
        answers[name] = data["rows"]
        page = urllib.request.urlopen(f"{base}/{name}", timeout=10).read().decode()
        assert "message-error" not in page, name
    with sqlite3.connect(db) as conn:
        count = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: S608
                 for t in ("current_pledges", "current_actions", "changes", "matches")}
    assert answers["pledges_mentioning"] == []  # a search for nothing finds nothing
    assert len(answers["pledges_by_topic"]) == len(answers["pledge_in_context"]) == 139
    assert len(answers["pledge_to_measures"]) == len(answers["measure_to_pledges"]) \
        == count["matches"] > 0
    assert len(answers["changes_since"]) == count["changes"]
    # every pledge with evidence, a row per item; every KPI whose latest status is not green
    assert answers["pledge_on_track"] and all(
        row["status"] != "no evidence" and row["evidence_id"]
        for row in answers["pledge_on_track"])
    assert len(answers["kpis_off_track"]) == 6
    actions = answers["actions_due"]  # no period: every action, undated ones last
    assert len(actions) == count["current_actions"] == 25
    deadlines = [row["deadline"] for row in actions]
    assert deadlines[0] == "February 2017 onwards" and deadlines[-1] in ("Ongoing",
                                                                         "Annually (July)",
                                                                         "Annually (Autumn)",
                                                                         "Annually (September)")


def test_actions_due_reads_years_and_open_ends(served):
    base, _ = served

    def deadlines(start: str, end: str) -> list[str]:
        status, data = get(f"{base}/actions_due.json?_shape=objects&"
                           + urllib.parse.urlencode({"start": start, "end": end}))
        assert status == 200, data
        return [row["deadline"] for row in data["rows"]]

    assert deadlines("2018", "2018") == ["July 2018", "July 2018", "September 2018",
                                         "September 2018", "December 2018"]
    assert deadlines("2019-03-15", "") == ["March 2019"] * 9 + ["March 2020"]
    assert deadlines("", "2017-12") == ["February 2017 onwards", "From June 2017"]
    assert deadlines("2018-07", "2019-03") == deadlines("2018-07-01", "2019-03-31")


def test_the_term_query_finds_words_with_apostrophes_and_hyphens(served):
    import re

    base, db = served
    pledges = current_pledges(db)
    # "children's" also finds the typographic apostrophe of "Children’s centres".
    _, found = search(base, "children's")
    expected = [t for t in pledges if re.search(r"\bchildren['’]s\b", t, re.I)]
    assert len(expected) == 3 and sorted(found) == sorted(expected)
    _, found = search(base, "post-16")
    expected = [t for t in pledges if "post-16" in t]
    assert len(expected) == 3 and sorted(found) == sorted(expected)
    # No sample pledge mentions COVID (the Ealing one says "the pandemic"): none found.
    assert not any("covid" in t.lower() for t in pledges)
    assert search(base, "COVID-19")[1] == []
    _, found = search(base, "pandemic")
    assert found and all("pandemic" in t for t in found)


def test_the_term_query_reads_quotes_operators_and_symbols_as_words(served):
    import re

    base, db = served
    pledges = current_pledges(db)
    # An unbalanced quote is closed: a phrase, its words side by side.
    _, found = search(base, '"free school')
    assert len(found) == 3 and all("free school" in t for t in found)
    assert search(base, '"free school meals"')[1] == found
    assert search(base, '"unbalanced')[1] == []  # the word is in no pledge
    # A lone operator is a word: "AND" finds the pledges with the word "and".
    _, found = search(base, "AND")
    expected = [t for t in pledges if re.search(r"\band\b", t, re.I)]
    assert len(found) == len(expected) > 50
    assert all(re.search(r"\band\b", t, re.I) for t in found)
    # "schools OR": both words, so every pledge with "schools" and "or" and nothing
    # without "school" (Porter stemming: schools = school) and "or".
    _, found = search(base, "schools OR")
    expected = [t for t in pledges if re.search(r"\bschools\b", t) and re.search(r"\bor\b", t)]
    assert expected and set(expected) <= set(found)
    assert all("school" in t.lower() and re.search(r"\bor\b", t, re.I) for t in found)
    # The index splits at punctuation: "£100m" is the word 100m, "£5" the number 5,
    # which "£11.5 million" holds (11 and 5).
    assert search(base, "£100m")[1] == [t for t in pledges if "£100m" in t] != []
    _, found = search(base, "£5")
    assert found and all(re.search(r"\b5\b", t) for t in found)
    # Prefix, initial-token, column and NEAR syntax are punctuation and words too.
    _, school = search(base, "school")
    for term in ("school*", "^school", "(school)", "school)", "{school}"):
        assert search(base, term)[1] == school, term
    assert search(base, "text:school")[1] == search(base, '"text school"')[1] == []
    assert search(base, "NEAR(school pupils)")[1] == search(base, "near school pupils")[1]


AWKWARD = ["children's", "COVID-19", '"unbalanced', "£5", "AND", "schools OR", "OR", "NOT",
           "NEAR", "NOT schools", "a OR b AND c", "*", "school*", "^", "^school", "(", ")",
           "(school", "text:", "text:school", "{text}:school", "-", "+", ":", ",", ".", "'",
           '"', '""', '" "', '"""', " ", "\t", "a\nb", '"a\nb"', 'say "hi\nthere"', "%", "_",
           "\\", "€", "’", "“children”", "😀", "é", "e\u0301", "NEAR(a b, 2)", "a:b:c"]


def test_any_text_typed_searches_instead_of_failing(served):
    import random

    base, _ = served
    pieces = AWKWARD + ["school", "housing", " ", " "]
    rng = random.Random(14)
    typed = AWKWARD + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
                       for _ in range(200)]
    for term in typed:
        search(base, term)  # asserts 200


def test_the_table_search_box_still_searches(served):
    """The canned query quotes words as the table's search box does: the same pledges."""
    base, _ = served
    for term in ("children's", "COVID-19", '"unbalanced', '"free school', "£5", "AND",
                 "schools OR", "school*", "text:school", "NEAR(school pupils)", '"', "  ",
                 "school\x00s"):
        status, data = get(f"{base}/pledges.json?_shape=objects&_size=max&"
                           + urllib.parse.urlencode({"_search": term}))
        assert status == 200, (term, data)
        assert sorted(r["text"] for r in data["rows"]) == sorted(search(base, term)[1]), term
        status, data = get(f"{base}/blocks.json?_size=0&"
                           + urllib.parse.urlencode({"_search": term}))
        assert status == 200, (term, data)
    status, data = get(f"{base}/blocks.json?_size=0&_search=children%27s")
    assert data["filtered_table_rows_count"] >= 3
