"""Bytes to text, the one way every reader does it: HTML, plain text, Markdown, CSV, robots.txt.

The order, first that applies:

1. **BOM**: UTF-8, UTF-16 or UTF-32 (LE or BE). A BOM is never there by accident.
2. **UTF-16 or UTF-32 without a BOM**, from the NUL-byte pattern: text that is mostly
   Latin script has a zero high byte in nearly every code unit, so every second (UTF-16) or
   three bytes in four (UTF-32) are NUL, which no ASCII-compatible text has. This comes
   before any declaration because a declared ``utf-8`` decodes such bytes without an error,
   into text full of NUL characters.
3. **A declaration**: the HTTP Content-Type's charset, then, for HTML, a ``<meta>``
   charset and an XML declaration in the first 2 KB. A declaration the bytes cannot be
   decoded with is skipped, not forced. Two corrections for misconfigured servers: valid
   non-ASCII UTF-8 beats a declared single-byte charset (servers default to ISO-8859-1;
   real legacy text is almost never valid UTF-8 by accident), and a declared UTF-16 or
   UTF-32 is believed only of bytes that are not valid UTF-8. As browsers do (WHATWG), a
   ``<meta>`` that says UTF-16 means UTF-8 (a meta tag readable as ASCII is not UTF-16), and
   ISO-8859-1 and US-ASCII mean windows-1252.
4. **UTF-8**, strict.
5. **windows-1252**, byte by byte where UTF-8 is invalid: a file of legacy bytes comes out
   as windows-1252, and a UTF-8 file with a few stray legacy bytes (pasted from an old
   document) keeps its UTF-8 and reads the stray bytes as windows-1252. The five bytes
   Python's cp1252 leaves undefined map to the C1 control of the same value, as in
   browsers, so this step never fails and never emits U+FFFD.

``Decoded.encoding`` says which codec gave the text and ``Decoded.source`` which step
chose it; parsers keep both in the document's provenance.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# UTF-32 BOMs start with the UTF-16 ones, so they are tested first.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Bytes looked at for the NUL pattern: enough code units to outvote a few odd characters.
_PATTERN_BYTES = 1024
# Browsers look for the meta charset in the first 1024 bytes; 2 KB tolerates long heads.
_DECLARATION_BYTES = 2048
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9._:-]+)""", re.I)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([a-z0-9._:-]+)""",
                              re.I)

WINDOWS_1252 = "windows-1252"
# WHATWG: these labels mean windows-1252, which only adds printable characters (curly
# quotes, dashes) in 0x80-0x9F where ISO-8859-1 has control codes.
_WINDOWS_1252_ALIASES = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})
# Legacy single-byte codecs decode any byte string, so a wrong declaration of one never
# fails; it silently turns UTF-8 into mojibake.
_SINGLE_BYTE_PREFIXES = ("cp125", "iso8859", "koi8", "mac-", "cp437", "cp850", WINDOWS_1252)
_WIDE = ("utf-16", "utf-32")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python's codec name, or "windows-1252" (browsers' variant of cp1252)
    source: str  # bom, nul-pattern, content-type, meta, xml-declaration, utf-8, fallback


def _windows_1252_table() -> str:
    """The 256 characters of windows-1252 in byte order, as browsers read it: Python's
    cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined, browsers map them to the C1
    control of the same value."""
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


_WINDOWS_1252_TABLE = _windows_1252_table()


def decode_windows_1252(data: bytes) -> str:
    """windows-1252 as browsers read it: every byte is a character, nothing fails."""
    return codecs.charmap_decode(data, "strict", _WINDOWS_1252_TABLE)[0]


def _stray_bytes_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return decode_windows_1252(error.object[error.start:error.end]), error.end


_STRAY_BYTES = "pledgeflow-windows-1252"

codecs.register_error(_STRAY_BYTES, _stray_bytes_as_windows_1252)


def decode_text(data: bytes, charset: str | None = None, *, markup: bool = False) -> Decoded:
    """Decode ``data`` (see the module docstring for the order). ``charset`` is the HTTP
    Content-Type's charset, if any; ``markup`` also reads HTML/XML declarations."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom):].decode(codec, errors="replace"), codec, "bom")
    wide = wide_encoding(data)
    if wide:
        return Decoded(data.decode(wide, errors="replace"), wide, "nul-pattern")
    for label, source in _declarations(data, charset, markup):
        decoded = _decode_declared(data, label, source)
        if decoded is not None:
            return decoded
    return _utf8_or_windows_1252(data)


def wide_encoding(data: bytes) -> str | None:
    """``utf-32-le``/``-be`` or ``utf-16-le``/``-be`` when the NUL pattern shows one."""
    head = data[:_PATTERN_BYTES]
    if len(head) >= 8:
        head32 = head[: len(head) // 4 * 4]
        units = len(head32) // 4
        lanes = [head32[i::4].count(0) for i in range(4)]
        # LE: the two top bytes of every BMP code point are zero; BE: the two first.
        if lanes[2] == lanes[3] == units and lanes[0] <= units // 10:
            return "utf-32-le" if _decodes(head32, "utf-32-le") else None
        if lanes[0] == lanes[1] == units and lanes[3] <= units // 10:
            return "utf-32-be" if _decodes(head32, "utf-32-be") else None
    if len(head) < 4:
        return None
    head16 = head[: len(head) // 2 * 2]
    units = len(head16) // 2
    even, odd = head16[0::2].count(0), head16[1::2].count(0)
    # Half the code units or more in Latin-1 (zero high byte) and almost no zero low byte.
    if odd >= units / 2 and even <= units // 20:
        return "utf-16-le"
    if even >= units / 2 and odd <= units // 20:
        return "utf-16-be"
    return None


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _declarations(data: bytes, charset: str | None, markup: bool) -> list[tuple[str, str]]:
    """(label, where it was declared), in the order they count."""
    found = [(charset, "content-type")]
    if markup:
        head = data[:_DECLARATION_BYTES]
        meta = _META_CHARSET.search(head)
        if meta:
            label = meta.group(1).decode("ascii", errors="ignore")
            found.append(("utf-8" if label.lower().startswith(_WIDE) else label, "meta"))
        xml = _XML_DECLARATION.match(head)
        if xml:
            found.append((xml.group(1).decode("ascii", errors="ignore"), "xml-declaration"))
    return [(label, source) for label, source in found if label]


def codec_name(label: str | None) -> str | None:
    """The codec for a charset label (``windows-1252`` for its WHATWG aliases), or None
    if Python does not know the label."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    return WINDOWS_1252 if name in _WINDOWS_1252_ALIASES else name


def _decode_declared(data: bytes, label: str, source: str) -> Decoded | None:
    codec = codec_name(label)
    if codec is None:
        return None
    if codec.startswith(_SINGLE_BYTE_PREFIXES) and _is_utf8_with_non_ascii(data):
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    if codec.startswith(_WIDE) and _decodes(data, "utf-8"):
        return None
    if codec == WINDOWS_1252:
        return Decoded(decode_windows_1252(data), codec, source)
    try:
        return Decoded(data.decode(codec), codec, source)
    except UnicodeDecodeError:
        return None


def _is_utf8_with_non_ascii(data: bytes) -> bool:
    return not data.isascii() and _decodes(data, "utf-8")


def _has_utf8_character(data: bytes) -> bool:
    """True if some multi-byte UTF-8 character is well formed in ``data``: a windows-1252
    file has none (unless it already holds mojibake such as "Ã©"). Counted on a decoding
    with U+FFFD for each invalid sequence, which is done in C: the per-byte error handler
    of the mixed decoding costs 15 times as much on a legacy file."""
    text = data.decode("utf-8", errors="replace")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii > text.count("\ufffd")


def _utf8_or_windows_1252(data: bytes) -> Decoded:
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    if not _has_utf8_character(data):  # legacy bytes throughout
        return Decoded(decode_windows_1252(data), WINDOWS_1252, "fallback")
    return Decoded(data.decode("utf-8", errors=_STRAY_BYTES), "utf-8+windows-1252", "fallback")
