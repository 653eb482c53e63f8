"""One text decoder for HTML, plain text, Markdown and CSV (pledgeflow.text_decode).

One test per step of its order (BOM, NUL pattern, declarations, UTF-8, windows-1252),
the parsers and the sniffer agreeing on the same bytes, and a UTF-16 file without a BOM
loaded by a real run, served by a real HTTP server and read from a file.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
from conftest import write_catalog

from pledgeflow.fetch.sniff import sniff_media_type
from pledgeflow.parse.csv import parse_csv
from pledgeflow.parse.html import parse_html
from pledgeflow.parse.text import parse_text
from pledgeflow.text_decode import decode_text

# A statement with what legacy encodings mangle: curly quotes, a dash, a pound sign, an
# accented letter and a Welsh w with a circumflex.
LATIN = "We will open a caf\u00e9 in every park \u2013 \u201cfree\u201d, \u00a35 a year."
PLEDGE = LATIN[:-1] + ", in Pen-y-bont \u0175."  # \u0175 is not in windows-1252


def page(body: str, head: str = "") -> str:
    return (f"<html><head>{head}<title>Plan</title></head>"
            f"<body><main><p>{body}</p></main></body></html>")


# --- 1. byte-order marks -------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                   "utf-32", "utf-32-le", "utf-32-be"])
def test_every_bom_is_read_and_stripped(codec):
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00",
           "utf-32-be": b"\x00\x00\xfe\xff"}.get(codec, b"")
    decoded = decode_text(bom + PLEDGE.encode(codec))
    assert decoded.text == PLEDGE
    assert decoded.source == "bom"
    assert decoded.encoding.startswith(codec.split("-sig")[0][:6])


def test_a_bom_beats_the_header_and_the_meta():
    data = b"\xef\xbb\xbf" + page(LATIN, '<meta charset="windows-1252">').encode()
    decoded = decode_text(data, "iso-8859-1", markup=True)
    assert (decoded.encoding, decoded.source) == ("utf-8", "bom")
    assert LATIN in decoded.text and not decoded.text.startswith("\ufeff")


# --- 2. UTF-16 and UTF-32 without a BOM ----------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_found_from_the_nul_pattern(codec):
    decoded = decode_text(PLEDGE.encode(codec))
    assert (decoded.text, decoded.encoding, decoded.source) == (PLEDGE, codec, "nul-pattern")


def test_the_nul_pattern_beats_a_header_that_says_utf8():
    # A declared utf-8 "decodes" UTF-16 without an error, into text full of NULs.
    decoded = decode_text(PLEDGE.encode("utf-16-le"), "utf-8")
    assert decoded.text == PLEDGE and "\x00" not in decoded.text


def test_a_declared_utf16_is_not_believed_of_ascii_bytes():
    decoded = decode_text(b"We will mend the roads.", "utf-16")
    assert decoded.text == "We will mend the roads."


# --- 3. declarations ------------------------------------------------------------------------


def test_the_http_header_charset_is_used_for_plain_text():
    decoded = decode_text("\u03a9mega pledges for \u00a35".encode("iso-8859-7"), "ISO-8859-7")
    assert (decoded.text, decoded.encoding, decoded.source) == (
        "\u03a9mega pledges for \u00a35", "iso8859-7", "content-type")


def test_the_meta_charset_is_read_in_html_only():
    data = page("\u03a9mega", '<meta charset="iso-8859-7">').encode("iso-8859-7")
    html = decode_text(data, markup=True)
    assert "<p>\u03a9mega</p>" in html.text and html.source == "meta"
    assert decode_text(data).source == "fallback"  # a text file's "<meta" is just text


def test_http_equiv_content_type_and_the_xml_declaration_are_declarations():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    decoded = decode_text(page("it\x92s", head).encode("latin-1"), markup=True)
    assert ("it\u2019s" in decoded.text, decoded.source) == (True, "meta")
    xml = '<?xml version="1.0" encoding="ISO-8859-7"?>\n<html><p>\u03a9</p></html>'
    decoded = decode_text(xml.encode("iso-8859-7"), markup=True)
    assert ("<p>\u03a9</p>" in decoded.text, decoded.source) == (True, "xml-declaration")


def test_the_header_beats_the_meta():
    data = page("\u03a9mega", '<meta charset="windows-1252">').encode("iso-8859-7")
    decoded = decode_text(data, "ISO-8859-7", markup=True)
    assert "\u03a9mega" in decoded.text and decoded.source == "content-type"


def test_iso_8859_1_means_windows_1252():
    data = page("\x93Good\x94 \x96 caf\xe9", '<meta charset="iso-8859-1">').encode("latin-1")
    decoded = decode_text(data, markup=True)
    assert "\u201cGood\u201d \u2013 caf\u00e9" in decoded.text
    assert decoded.encoding == "windows-1252"


def test_valid_utf8_beats_a_declared_single_byte_charset():
    decoded = decode_text(LATIN.encode(), "iso-8859-1")
    assert (decoded.text, decoded.encoding) == (LATIN, "utf-8")


def test_a_meta_that_says_utf16_means_utf8():
    data = page(LATIN, '<meta charset="utf-16">').encode()
    assert LATIN in decode_text(data, markup=True).text


def test_unknown_or_wrong_declarations_are_skipped():
    assert decode_text(LATIN.encode(), "no-such-charset").text == LATIN
    # cp1252 bytes declared as Shift_JIS do not decode as it: the next step reads them.
    decoded = decode_text(LATIN.encode("cp1252"), "shift_jis")
    assert (decoded.text, decoded.encoding) == (LATIN, "windows-1252")


# --- 4. UTF-8, 5. windows-1252 ---------------------------------------------------------------


def test_plain_utf8_without_any_declaration():
    decoded = decode_text(PLEDGE.encode())
    assert (decoded.text, decoded.encoding, decoded.source) == (PLEDGE, "utf-8", "utf-8")


def test_legacy_bytes_fall_back_to_windows_1252_without_replacement_characters():
    decoded = decode_text(b"it\x92s \x80100 \x81 caf\xe9")
    assert (decoded.text, decoded.encoding, decoded.source) == (
        "it\u2019s \u20ac100 \x81 caf\u00e9", "windows-1252", "fallback")


def test_utf8_with_a_stray_legacy_byte_keeps_its_utf8():
    data = LATIN.encode() + b" Pasted from an old file: it\x92s done."
    decoded = decode_text(data)
    assert decoded.text == LATIN + " Pasted from an old file: it\u2019s done."
    assert decoded.encoding == "utf-8+windows-1252"


def test_no_bytes_make_it_crash():
    rng = random.Random(14)
    prefixes = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00",
                b"\x00\x00\xfe\xff", b"<meta charset=utf-16>", b"<?xml encoding='bogus'?>"]
    for n in range(3000):
        body = bytes(rng.randrange(256) if rng.random() < 0.7 else 0
                     for _ in range(rng.randrange(0, 64)))
        data = prefixes[n % len(prefixes)] + body
        for charset in (None, "utf-8", "utf-16", "iso-8859-7", "nonsense"):
            decoded = decode_text(data, charset, markup=n % 2 == 0)
            assert isinstance(decoded.text, str) and decoded.encoding


# --- every reader decodes the same way --------------------------------------------------------


@pytest.mark.parametrize(("codec", "encoding", "source"), [
    ("utf-16-le", "utf-16-le", "nul-pattern"), ("utf-16-be", "utf-16-be", "nul-pattern"),
    ("utf-32-le", "utf-32-le", "nul-pattern"), ("utf-16", "utf-16-le", "bom"),
    ("utf-8", "utf-8", "utf-8"), ("cp1252", "windows-1252", "fallback")])
def test_html_text_and_csv_parsers_agree_and_record_the_encoding(codec, encoding, source):
    statement = PLEDGE if codec != "cp1252" else LATIN
    inputs = {
        parse_html: page(statement),
        parse_text: f"Our plan\n\n{statement}\n",
        parse_csv: f'party,statement\nTownsfolk,"{statement}"\n',
    }
    for parser, text in inputs.items():
        doc = parser(text.encode(codec), document_id="d" * 64)
        assert statement in doc.text, parser.__name__
        assert (doc.encoding, doc.encoding_source) == (encoding, source), parser.__name__


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_the_sniffer_reads_wide_text_as_text_not_binary(codec):
    assert sniff_media_type(f"Our plan\n\n{PLEDGE}\n".encode(codec)) == "text/plain"
    assert sniff_media_type(page(PLEDGE).encode(codec)) == "text/html"


# --- end to end ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_a_utf16_file_without_bom_loads_with_the_right_pledge_text(tmp_path, http_server):
    from pledgeflow.flows.pipeline import pipeline

    text = f"Our plan for the borough\n\n{PLEDGE}\n"
    # Served with a header that claims UTF-8, as a misconfigured server would.
    http_server.route("/decode/plan-utf16.txt", body=text.encode("utf-16-le"),
                      headers={"Content-Type": "text/plain; charset=utf-8"})
    (tmp_path / "plan-utf16be.txt").write_bytes(text.encode("utf-16-be"))
    (tmp_path / "plan-utf32.csv").write_bytes(
        f'party,pledge\nTownsfolk,"{PLEDGE}"\n'.encode("utf-32-le"))
    write_catalog(tmp_path / "catalog.toml", {
        "served-utf16le": http_server.url("/decode/plan-utf16.txt"),
        "file-utf16be": "plan-utf16be.txt", "file-utf32le-csv": "plan-utf32.csv"})
    summary = pipeline(sources=str(tmp_path / "catalog.toml"), db=str(tmp_path / "pf.db"),
                       raw_dir=str(tmp_path / "raw"), processed_dir=str(tmp_path / "processed"))
    assert (summary["documents"], summary["failed"]) == (3, 0)
    with sqlite3.connect(tmp_path / "pf.db") as conn:
        pledges = dict(conn.execute("select l.source_id, p.text from pledges p join "
                                    "source_documents l on l.document_id = p.document_id"))
    assert pledges == {"served-utf16le": PLEDGE, "file-utf16be": PLEDGE,
                       "file-utf32le-csv": PLEDGE}
