"""Tests for pledgeflow.parse.html: sample pages and small inline pages, one behaviour each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from pledgeflow.document import Block, Document
from pledgeflow.parse import ParseError
from pledgeflow.parse.html import PARSER, PARSER_VERSION, parse_html

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "html"

# Site chrome that sits in all three sample templates and must never reach the document.
NAV_ITEMS = {"Home", "News", "Our councillors", "Manifesto", "Get involved", "Donate"}
SPRITE_TITLES = {
    "Close",
    "Fax",
    "Website",
    "Location",
    "Phone",
    "Email",
    "Calendar",
    "Building",
    "Search",
    "Menu",
}


@cache
def sample(name: str, charset: str | None = None) -> Document:
    return parse_html((SAMPLES / name).read_bytes(), document_id=name, charset=charset)


def html(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def parse(body: str, head: str = "") -> Document:
    return parse_html(html(body, head), document_id="inline")


def kinds(doc: Document, kind: str) -> list[Block]:
    return [b for b in doc.blocks if b.kind == kind]


def texts(doc: Document) -> set[str]:
    return {b.text for b in doc.blocks}


def items_after(doc: Document, paragraph_start: str) -> list[Block]:
    """The list items that directly follow the paragraph starting with ``paragraph_start``."""
    start = next(i for i, b in enumerate(doc.blocks) if b.text.startswith(paragraph_start))
    items = []
    for block in doc.blocks[start + 1 :]:
        if block.kind != "list_item":
            break
        items.append(block)
    return items


def assert_no_chrome(doc: Document) -> None:
    assert not texts(doc) & (NAV_ITEMS | SPRITE_TITLES)
    for phrase in (
        "Link to Instagram",
        "Link to Snapchat",
        "Skip to",
        "cookies",
        "Back to the top",
        "Latest news",
        "Privacy",
        "Promoted by",
        "Close Fax Website",
    ):
        assert phrase not in doc.text, phrase


# --- cwac-labour-opportunity.html: WordPress-like manifesto page --------------------------------


def test_opportunity_page_drops_footer_nav_sprite_cookie_and_sidebar():
    doc = sample("cwac-labour-opportunity.html")
    assert_no_chrome(doc)
    assert "We will keep campaigning for fair funding for every local school" not in doc.text


def test_opportunity_page_drops_vote_form_and_its_data_notice():
    doc = sample("cwac-labour-opportunity.html")
    assert "Let us know you'll vote for us" not in doc.text
    assert "You can find out how the Labour Party will use this data" not in doc.text


def test_opportunity_page_keeps_numbered_pledges_and_panels():
    doc = sample("cwac-labour-opportunity.html")
    for start in (
        "1. The Tory Government’s policy of austerity",
        "3. We are opposed to",
        "9. Our Work Zones",
        "Research by the NUT suggest 135 of 140",
        "Currently over 90% of children attend a ‘good’",
    ):
        assert any(b.kind == "paragraph" and b.text.startswith(start) for b in doc.blocks), start
    assert doc.text.endswith("bridge the gap between the workforce and the organisation.")


def test_opportunity_page_headings_keep_their_levels():
    doc = sample("cwac-labour-opportunity.html")
    levels = {b.text: b.level for b in kinds(doc, "heading")}
    assert levels["The opportunity to get on in life"] == 1
    assert levels["CAMPAIGNING AGAINST THE EDUCATION CUTS THAT HOLD OUR CHILDREN BACK"] == 2
    assert levels["THE TRUE COST OF SCHOOL CUTS IN CHESHIRE WEST"] == 3
    assert levels["INCLUSIVE EDUCATION"] == 3


def test_list_lead_in_is_last_sentence_of_preceding_paragraph():
    doc = sample("cwac-labour-opportunity.html")
    items = items_after(doc, "2. Labour wants")
    assert len(items) == 4
    assert {b.lead_in for b in items} == {"To enable this, we will:"}
    assert items_after(doc, "4. We will be innovative")[0].lead_in == (
        "We will be innovative in supporting local schools by:"
    )
    assert len(kinds(doc, "list_item")) == 17


def test_bullet_section_path_lists_headings_outermost_first():
    doc = sample("cwac-labour-opportunity.html")
    bullet = items_after(doc, "2. Labour wants")[0]
    assert bullet.section == [
        "The opportunity to get on in life",
        "SUPPORTING RESIDENTS WITH A LOCAL EDUCATION SERVICE FROM CRADLE TO GRAVE",
    ]
    h3 = next(b for b in doc.blocks if b.text == "GETTING THE BEST START IN LIFE")
    assert h3.section == bullet.section  # a heading's path excludes itself
    assert items_after(doc, "5. Children")[0].heading == "GETTING THE BEST START IN LIFE"


def test_escaped_markup_leaked_as_text_is_removed():
    doc = sample("cwac-labour-opportunity.html")
    assert "Enjoying opportunities - The opportunity to get on in life" in texts(doc)
    assert "<div" not in doc.text and "</em>" not in doc.text


def test_spacer_paragraphs_and_alt_text_are_not_emitted():
    doc = sample("cwac-labour-opportunity.html")
    assert all(b.text.strip() for b in doc.blocks)
    assert "\xa0" not in doc.text
    # "Inclusive Education" is an <img alt> plus a caption repeating the next heading.
    assert "Inclusive Education" not in doc.text
    assert "Cheshire West and Chester Labour" not in texts(doc)  # the logo's alt


def test_title_comes_from_h1_in_main():
    doc = sample("cwac-labour-opportunity.html")
    assert doc.title == "The opportunity to get on in life"
    assert (doc.parser, doc.parser_version, doc.media_type) == (PARSER, PARSER_VERSION, "text/html")


def test_block_offsets_point_into_document_text():
    doc = sample("cwac-labour-opportunity.html")
    assert all(doc.text[b.start : b.end] == b.text for b in doc.blocks)


# --- cwac-labour-families-first.html: news post, lead-in in <p><strong> -------------------------


def test_strong_paragraph_question_is_lead_in_of_following_items():
    doc = sample("cwac-labour-families-first.html")
    items = kinds(doc, "list_item")
    assert len(items) == 14
    assert {b.lead_in for b in items} == {"What is Labour doing locally?"}
    assert {b.depth for b in items} == {1}


def test_hero_alt_and_h1_give_one_title_and_no_sidebar_or_entry_footer():
    doc = sample("cwac-labour-families-first.html")
    assert doc.text.count("Putting families first") == 1
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].level == 1
    assert "Posted in" not in doc.text
    assert "We will keep campaigning for fair funding" not in doc.text
    assert_no_chrome(doc)


def test_nbsp_becomes_single_space():
    doc = sample("cwac-labour-families-first.html")
    assert "if a new variant occurs and school children need to return" in doc.text


# --- bnes-libdem-children.html: windows-1252, other template ------------------------------------


def test_windows_1252_page_decodes_curly_quotes_from_meta_charset():
    doc = sample("bnes-libdem-children.html")
    assert "current “Good” OFSTED rating for social care to “Outstanding”" in doc.text
    assert "Achieve “Outstanding” OFSTED ratings" in doc.text
    assert "“Surestart”" in doc.text and '"Good OFSTED"' in doc.text
    assert "\ufffd" not in doc.text and "â€" not in doc.text


def test_wrong_http_utf8_charset_does_not_garble_windows_1252_page():
    doc = sample("bnes-libdem-children.html", charset="utf-8")
    assert "“Good”" in doc.text and "\ufffd" not in doc.text


def test_paragraph_list_items_get_lead_in():
    doc = sample("bnes-libdem-children.html")
    items = kinds(doc, "list_item")
    assert len(items) == 19
    assert {b.lead_in for b in items} == {"Over the next four years we will:"}
    assert items[0].section == ["Delivering for Children and Young People"]


def test_libdem_page_drops_sidebar_cookie_banner_and_imprint():
    doc = sample("bnes-libdem-children.html")
    assert_no_chrome(doc)
    for phrase in (
        "Lib Dems will protect our local libraries",
        "analytics cookies",
        "Published and promoted",
        "Help us win",
        "big business",
    ):
        assert phrase not in doc.text, phrase


# --- encoding ----------------------------------------------------------------------------------


def test_utf16_with_bom_decodes():
    data = "<html><body><main><p>Pledge “one” – £5</p></main></body></html>".encode("utf-16")
    doc = parse_html(data, document_id="u16")
    assert doc.text == "Pledge “one” – £5"


def test_meta_charset_iso_8859_1_is_read_as_windows_1252():
    data = b'<meta charset="iso-8859-1"><main><p>\x93Good\x94 \x96 caf\xe9</p></main>'
    assert parse_html(data, document_id="m").text == "“Good” – café"


def test_undeclared_utf8_decodes_as_utf8():
    assert parse_html(html("<p>naïve “quotes”</p>"), document_id="u").text == "naïve “quotes”"


def test_undeclared_invalid_utf8_falls_back_to_windows_1252():
    data = b"<html><body><p>it\x92s \x80100 \x81</p></body></html>"
    assert parse_html(data, document_id="w").text == "it’s €100 \x81"


def test_valid_utf8_wins_over_declared_latin1():
    data = html("<p>“curly” café</p>", head='<meta charset="iso-8859-1">')
    assert parse_html(data, document_id="l", charset="iso-8859-1").text == "“curly” café"


# --- structure ---------------------------------------------------------------------------------


def test_nested_lists_get_depth_and_parent_item_as_lead_in():
    doc = parse("""<main><p>Intro. We will:</p><ul>
        <li>Fix roads<ul><li>Potholes<ol><li>Within a week</li></ol></li><li>Kerbs</li></ul></li>
        <li>Build homes</li></ul></main>""")
    got = [(b.text, b.depth, b.lead_in) for b in kinds(doc, "list_item")]
    assert got == [
        ("Fix roads", 1, "We will:"),
        ("Potholes", 2, "Fix roads"),
        ("Within a week", 3, "Potholes"),
        ("Kerbs", 2, "Fix roads"),
        ("Build homes", 1, "We will:"),
    ]


def test_list_nested_directly_in_list_belongs_to_previous_item():
    doc = parse("<main><ul><li>Parks</li><ul><li>More trees</li></ul></ul></main>")
    assert [(b.text, b.depth, b.lead_in) for b in doc.blocks] == [
        ("Parks", 1, None),
        ("More trees", 2, "Parks"),
    ]


def test_list_item_with_paragraphs_is_one_item():
    doc = parse("<main><ul><li><p>First part.</p>\n<p>Second part.</p></li></ul></main>")
    assert [(b.kind, b.text) for b in doc.blocks] == [("list_item", "First part. Second part.")]


def test_list_directly_after_heading_has_no_lead_in():
    doc = parse("<main><h2>Our pledges</h2><ul><li>Cut fares</li></ul></main>")
    item = kinds(doc, "list_item")[0]
    assert item.lead_in is None and item.section == ["Our pledges"]


def test_typed_bullet_glyphs_are_stripped_from_items():
    doc = parse(
        "<main><ul><li>• Cut fares</li><li>- Plant trees</li><li>-5% rents</li></ul></main>"
    )
    assert [b.text for b in doc.blocks] == ["Cut fares", "Plant trees", "-5% rents"]


def test_bullet_typed_paragraphs_become_list_items():
    doc = parse(
        "<main><p>We will:</p><p>• Cut fares</p><p>•&nbsp;Plant trees</p>"
        "<p>Line one.<br>• Fix roads<br>• Open libraries</p></main>"
    )
    items = kinds(doc, "list_item")
    assert [b.text for b in items] == ["Cut fares", "Plant trees", "Fix roads", "Open libraries"]
    assert [b.lead_in for b in items] == ["We will:"] * 2 + ["Line one."] * 2


def test_table_with_th_row_counts_header_rows():
    doc = parse("""<main><table><caption>Targets</caption>
        <tr><th>Measure</th><th>2024</th></tr>
        <tr><td>New homes</td><td>1,000</td></tr><tr><td></td><td></td></tr>
        <tr><td>Trees <b>planted</b></td><td>5,000</td></tr></table></main>""")
    table = kinds(doc, "table")[0]
    assert table.rows == [["Measure", "2024"], ["New homes", "1,000"], ["Trees planted", "5,000"]]
    assert table.header_rows == 1
    assert table.text == "Measure\t2024\nNew homes\t1,000\nTrees planted\t5,000"
    assert doc.blocks[0].text == "Targets"


def test_table_thead_rows_are_header_rows():
    doc = parse(
        "<main><table><thead><tr><td>A</td><td>B</td></tr></thead>"
        "<tbody><tr><th>x</th><td>1</td></tr></tbody></table></main>"
    )
    assert kinds(doc, "table")[0].header_rows == 1


def test_text_a_cell_sets_apart_in_small_type_follows_a_newline():
    """A measure's definition under its name, in <small> or a class naming small or muted
    type, is kept after a newline (so the KPI extractor can tell the two apart); a line
    break alone, a word set small inside a name and a cell all in small type are no such
    text, and the table's text still reads each cell on one line."""
    doc = parse("""<main><table>
        <tr><th>Measure</th><th>Now</th></tr>
        <tr><td>Streets lit each night<br><small>Lamps working at the monthly check</small></td>
            <td>91%</td></tr>
        <tr><td><p>Lido visits</p><p class="govuk-body-s">Paid and free swims</p></td>
            <td>30,000 <span class="text-muted">(provisional)</span></td></tr>
        <tr><td>Carers' <small>pool</small> sessions</td><td><small>1,200</small></td></tr>
        <tr><td>Trees planted<br>in parks</td><td>400</td></tr></table></main>""")
    table = kinds(doc, "table")[0]
    assert table.rows[1:] == [
        ["Streets lit each night\nLamps working at the monthly check", "91%"],
        ["Lido visits\nPaid and free swims", "30,000\n(provisional)"],
        ["Carers' pool sessions", "1,200"],
        ["Trees planted in parks", "400"]]
    assert "Streets lit each night Lamps working at the monthly check\t91%" in table.text


def test_a_figure_in_its_own_element_beside_its_label_is_a_word_apart():
    """Two sibling elements a style sheet sets apart (a card's label and figure) do not run
    together; a chemical formula, an ordinal and a figure in running text stay as written."""
    doc = parse("<main><p>Cards:</p><div><span>2025/26 goal</span><span>420</span></div>"
                "<p>Cut CO<sub>2</sub> by the 10<sup>th</sup> year, in<b>2030</b>.</p></main>")
    assert [b.text for b in doc.blocks] == [
        "Cards:", "2025/26 goal 420", "Cut CO2 by the 10th year, in2030."]


def test_single_column_layout_table_is_read_as_text():
    doc = parse("<main><table><tr><td><h2>Plan</h2><p>We will act.</p></td></tr></table></main>")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Plan"),
        ("paragraph", "We will act."),
    ]


def test_headings_with_skipped_levels_build_section_paths():
    doc = parse(
        "<main><h1>T</h1><h3>Deep</h3><p>a</p><h2>Mid</h2><p>b</p><h4>Low</h4>"
        "<p>c</p><h2>Next</h2><p>d</p></main>"
    )
    sections = {b.text: b.section for b in kinds(doc, "paragraph")}
    assert sections == {
        "a": ["T", "Deep"],
        "b": ["T", "Mid"],
        "c": ["T", "Mid", "Low"],
        "d": ["T", "Next"],
    }


def test_div_direct_text_and_inline_runs_become_paragraphs():
    doc = parse(
        "<main><div>Loose <em>text</em> here<div>Inner block</div>tail</div>"
        "<blockquote>Quoted words</blockquote></main>"
    )
    assert [b.text for b in doc.blocks] == [
        "Loose text here",
        "Inner block",
        "tail",
        "Quoted words",
    ]


def test_consecutive_duplicate_blocks_appear_once():
    doc = parse("<main><p>Fair funding</p><h1>Fair funding</h1><p>We will act.</p></main>")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Fair funding"),
        ("paragraph", "We will act."),
    ]


# --- boilerplate -------------------------------------------------------------------------------


def test_hidden_elements_are_dropped():
    doc = parse("""<main><p>Visible pledge.</p>
        <p hidden>Hidden attr</p><div aria-hidden="true">Aria hidden</div>
        <p style="color:red; display: none">Display none</p>
        <p>Read more<span class="sr-only"> about screen readers</span></p>
        <span class="visually-hidden">Visually hidden</span></main>""")
    assert [b.text for b in doc.blocks] == ["Visible pledge.", "Read more"]


def test_boilerplate_named_blocks_inside_article_are_dropped():
    doc = parse("""<main><article><h1>Post</h1><p>We will act.</p>
        <div class="share-buttons">Share on Facebook</div>
        <div id="comments"><p>Great post!</p></div>
        <div class="newsletter-signup"><p>Get our emails</p></div>
        <p><a href="#top">Back to top</a></p>
        <footer class="entry-footer">Posted in News</footer></article></main>""")
    assert [b.text for b in doc.blocks] == ["Post", "We will act."]


def test_content_wrapper_with_sidebar_modifier_or_topic_class_is_kept():
    doc = parse("""<div class="content has-sidebar"><article class="post category-social-care">
        <p>We will fund social care.</p></article></div>""")
    assert doc.text == "We will fund social care."


def test_form_and_its_heading_only_wrapper_are_dropped():
    doc = parse("""<main><p>We will act.</p><section><h2>Sign up</h2>
        <form><label>Email <input name="e"></label><button>Go</button></form></section></main>""")
    assert doc.text == "We will act."


def test_page_wrapping_form_is_kept():
    doc = parse(
        '<form id="aspnetForm"><div id="content"><h1>Plan</h1><p>We will act.</p></div></form>'
    )
    assert doc.text == "Plan\n\nWe will act."


def test_page_without_main_falls_back_to_densest_text():
    doc = parse(
        """<div class="top"><a href="/">Home</a> <a href="/news">News</a></div>
        <div class="col"><ul><li><a href="/a">Latest story one</a></li>
            <li><a href="/b">Latest story two about something long</a></li></ul></div>
        <div class="col2"><h2>Our plan</h2>
            <p>We will build a thousand new council homes by the end of the term.</p>
            <p>We will keep every library open and extend opening hours.</p></div>""",
        head="<title>Our plan | Some Party</title>",
    )
    assert [b.text for b in doc.blocks] == [
        "Our plan",
        "We will build a thousand new council homes by the end of the term.",
        "We will keep every library open and extend opening hours.",
    ]
    assert doc.title == "Our plan"


def test_title_falls_back_to_cleaned_title_element():
    doc = parse("<main><p>Text.</p></main>", head="<title>Manifesto – Some Party</title>")
    assert doc.title == "Manifesto"


def test_page_without_content_raises_parse_error():
    with pytest.raises(ParseError):
        parse("""<header><nav><a href="/">Home</a></nav></header>
            <main><p>&nbsp;</p><h2>Sign up</h2><form><input name="e"></form></main>
            <footer>© Party</footer>""")
    with pytest.raises(ParseError):
        parse_html(b"", document_id="empty")


def test_deeply_nested_markup_does_not_overflow_the_stack():
    depth = 5000
    body = "<div>" * depth + "<p>Deep pledge.</p>" + "</div>" * depth
    assert parse_html(html("<main>" + body + "</main>"), document_id="deep").text == (
        "Deep pledge."
    )


def test_density_fallback_reads_through_layout_tables():
    doc = parse("""<div id="nav"><a href="/">Home</a></div><div id="contentArea">
        <h1>Corporate plan</h1><p>The council will cut carbon emissions by half by 2030.</p>
        <table><tr><td><p>A layout cell holding a long paragraph of real content.</p></td></tr>
        </table></div><div id="footerArea">Copyright the council</div>""")
    assert [b.text for b in doc.blocks] == [
        "Corporate plan",
        "The council will cut carbon emissions by half by 2030.",
        "A layout cell holding a long paragraph of real content.",
    ]


def test_entry_header_keeps_h1_but_drops_meta_and_page_banner():
    doc = parse("""<header class="site-header"><p class="site-title">Anytown Party</p></header>
        <main><header class="page-header"><h1>Our plan</h1>
        <div class="entry-meta">Posted on 1 May by admin</div></header>
        <h2 class="accordion"><button aria-expanded="false">Housing</button></h2>
        <div class="panel"><p>We will build homes.</p><button>Read more</button></div></main>""")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Our plan"),
        ("heading", "Housing"),
        ("paragraph", "We will build homes."),
    ]


def test_table_cells_are_laid_on_the_grid_whatever_their_spans():
    """A header cell spanning columns names each of them; a cell spanning rows leaves its
    column empty below it instead of shifting the row's other cells left; a sub-heading
    row's one cell is not repeated."""
    doc = parse(
        "<table>"
        "<thead><tr><th rowspan='2'>Theme</th><th rowspan='2'>Ref</th>"
        "<th colspan='2'>Targets</th></tr><tr><th>2025/26</th><th>2026/27</th></tr></thead>"
        "<tbody><tr><th colspan='4'>Homes for local people</th></tr>"
        "<tr><td rowspan='2'>Build more homes</td><td>H1</td><td>80</td><td>100</td></tr>"
        "<tr><td>H2</td><td>25</td><td>30</td></tr></tbody></table>"
    )
    (table,) = [b for b in doc.blocks if b.kind == "table"]
    assert table.rows == [
        ["Theme", "Ref", "Targets", "Targets"],
        ["", "", "2025/26", "2026/27"],
        ["Homes for local people", "", "", ""],
        ["Build more homes", "H1", "80", "100"],
        ["", "H2", "25", "30"],
    ]
