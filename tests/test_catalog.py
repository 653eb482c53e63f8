"""Reading and validating catalogs."""

import pytest

from pledgeflow.catalog import CatalogError, load_catalog, select

ENTRY = """
[[sources]]
id = "{id}"
url = "page.html"
organisation = "Somewhere Greens"
council = "Somewhere"
kind = "manifesto"
title = "Our plan"
period = "2024-2028"
"""


def write(tmp_path, text):
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_catalog_lists_the_seven_samples(samples_dir):
    sources = load_catalog(samples_dir / "catalog.toml")
    assert len(sources) == 7
    assert [s.id for s in sources if s.kind == "performance_report"] == [
        "cwac-performance-2018-19-q4", "cwac-performance-2019-20-q2"]
    assert all(s.catalog_dir == str(samples_dir.resolve()) for s in sources)


def test_party_is_optional(tmp_path):
    (source,) = load_catalog(write(tmp_path, ENTRY.format(id="greens-2024")))
    assert source.party is None and source.council == "Somewhere"


def test_duplicate_ids_are_rejected(tmp_path):
    with pytest.raises(CatalogError, match="duplicate"):
        load_catalog(write(tmp_path, ENTRY.format(id="a") + ENTRY.format(id="a")))


def test_unknown_fields_are_named(tmp_path):
    with pytest.raises(CatalogError, match="unknown field"):
        load_catalog(write(tmp_path, ENTRY.format(id="a") + 'colour = "green"\n'))


def test_missing_catalog_says_so(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        load_catalog(tmp_path / "nope.toml")


def test_select_by_id_kind_and_organisation(tmp_path):
    sources = load_catalog(write(tmp_path, ENTRY.format(id="a") + ENTRY.format(id="b")))
    assert [s.id for s in select(sources, only=["b"])] == ["b"]
    assert select(sources, kind="outcome_plan") == []
    assert len(select(sources, organisation="greens")) == 2
    with pytest.raises(CatalogError, match="not in the catalog"):
        select(sources, only=["zzz"])
