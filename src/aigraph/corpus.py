"""Read a corpus folder: `.txt` and `.md` files -> `Document`s with cleaned text and an offset map.

Which files are read and how (special files, symlinks, size cap, binary detection, encodings) is decided
in `aigraph.intake`; `scan_corpus` returns the documents with everything skipped, ignored or noted, and
files with the same bytes as an earlier one as duplicates (extracted once).

Cleaning drops what is not prose (front matter, HTML tags, timestamps, link targets, emphasis marks)
and splits the text into blocks (paragraphs, headings, list items). Every character of the cleaned
text remembers where it came from in the file, so evidence offsets always point into the original.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from aigraph.errors import InputError
from aigraph.intake import MANIFEST, MAX_BYTES, SUFFIXES, Notice, Scan, Skipped, Source, printable, scan
from aigraph.model import Document

__all__ = ["MANIFEST", "MAX_BYTES", "SUFFIXES", "Corpus", "clean", "cleaned", "read_corpus", "read_document",
           "scan_corpus", "title_of"]

log = logging.getLogger(__name__)

TITLE_LEVEL = 7  # below Markdown's six heading levels

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")

# Inline markup, tried left to right. Each alternative names what to keep (group `keep`) or nothing.
_INLINE = re.compile(
    r"""
      (?P<drop_el><(script|style)\b[^>]*>.*?</\2\s*>)                  # script/style with content
    | (?P<drop_cite>\(\s*(?:\[[^\]\n]*\d{4}[a-z]?\]\([^)\n]*\)[\s;,]*)+\))     # ([Author, 2024](url))
    | (?P<drop_cite2>\((?:[A-Z][\w'\u2019-]+(?:\s(?:et\sal\.|and|&)(?:\s[A-Z][\w'\u2019-]+)?)?,?\s\d{4}[a-z]?
                        [;,]?\s?)+\))                                   # (Smith et al., 2023; Lee, 2021)
    | (?P<drop_attr>\{[:\s][^{}\n]*\})                                 # { loading=lazy }, {: #id}
    | (?P<drop_ts><a\b[^>]*>\s*\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*</a\s*>)  # video timestamps
    | (?P<drop_img>!\[[^\]\n]*\]\([^)\n]*\))                           # images / figures
    | \[\[(?:[^\]|\n]*\|\s*)?(?P<wiki>[^\]|\n]+?)\s*\]\]                 # [[target | label]]
    | \[(?P<link>[^\]\n]+)\]\([^)\n]*\)                               # [text](url)
    | (?P<drop_ref>\[\d+(?:[,\u2013-]\s*\d+)*\])                        # [1], [2, 3]
    | (?P<drop_tsb>\[\d{1,2}:\d{2}(?::\d{2})?\])                        # [00:41:52]
    | (?P<drop_tag></?[A-Za-z][^<>\n]*>)                                # any other tag
    | (?P<entity>&(?:amp|lt|gt|quot|apos|nbsp|\#\d{1,6});)
    | (?P<drop_mark>\*\*|__|`+|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))
    | (?P<glue>(?<=[a-z]{7})(?=[A-Z][a-z]{2,}))                         # "FoundationsDevelop"
    """,
    re.X | re.S,
)
_NO_SPACE_BEFORE = frozenset(".,;:!?)")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " "}

Piece = tuple[str, int, bool]  # (text, raw offset of its first char, text is a verbatim copy of raw)
_KEEP_FORMAT = frozenset("\u200c\u200d")  # zero-width (non-)joiners: part of Persian words and emoji


@dataclass
class Corpus:
    """A corpus folder read: one Document per distinct content, and everything else the build reports."""

    documents: list[Document] = field(default_factory=list)
    #: (document, name of the document with the same bytes): files whose content was already read.
    duplicates: list[tuple[Document, str]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)  # every file read, duplicates included
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def scan_corpus(root: str | Path, max_bytes: int = MAX_BYTES, *, warn: bool = False,
                clean_text: bool = True) -> Corpus:
    """Read a corpus folder (or one file) defensively, see `aigraph.intake`; never raises for a bad file,
    only when there is no folder or nothing at all to read. Skips and warnings are in the result (and
    logged, as warnings when `warn`, else as info for a caller that reports them itself). With
    `clean_text=False` documents are cleaned only when needed (`cleaned`): a build reusing cached
    extractions skips that work for unchanged files."""
    base = Path(root)
    if not base.exists() and not base.is_symlink():
        raise InputError(f"corpus folder {str(base)!r} does not exist; pass a folder of .txt or .md files")
    if base.is_dir():
        found = scan(base, max_bytes)
    elif base.is_file():
        found = scan(base.parent, max_bytes, only=base.name)
    else:
        raise InputError(f"{str(base)!r} is neither a folder nor a file; pass a folder of .txt or .md files")
    corpus = _assemble(found, clean_text)
    for item in corpus.ignored:
        log.info("ignoring %s: %s", printable(item.file), item.reason)
    level = logging.WARNING if warn else logging.INFO
    for item in corpus.skipped:
        log.log(level, "skipped %s: %s", printable(item.file), item.reason)
    for notice in corpus.notices:
        log.log(level, "%s: %s", printable(notice.file), notice.message)
    if not corpus.documents:
        why = f"; skipped {len(corpus.skipped)} (see above)" if corpus.skipped else ""
        raise InputError(f"no {', '.join(SUFFIXES)} files to read in {str(base)!r}{why}")
    return corpus


def _assemble(found: Scan, clean_text: bool = True) -> Corpus:
    corpus = Corpus(sources=found.sources, skipped=found.skipped, ignored=found.ignored, notices=found.notices)
    first: dict[str, str] = {}  # sha256 -> name of the first file (by name) with those bytes
    for source in found.sources:
        document = _document(source, clean_text)
        original = first.setdefault(document.sha256, document.name)
        if original == document.name:
            corpus.documents.append(document)
        else:
            corpus.duplicates.append((document, original))
            log.info("%s has the same content as %s: extracted once", printable(document.name), printable(original))
    return corpus


def read_corpus(root: str | Path) -> list[Document]:
    """Every distinct `.txt`/`.md` document under `root` (recursively, sorted by path; hidden files and the
    root's SOURCES.md manifest are passed over; bad files are skipped with a warning, see `scan_corpus`)."""
    return scan_corpus(root, warn=True).documents


def read_document(path: Path, root: Path) -> Document:
    """One file as a Document, with the same checks as a corpus read; InputError when it cannot be used."""
    found = scan(Path(root), only=Path(path).relative_to(root).as_posix())
    if not found.sources:
        reason = found.skipped[0].reason if found.skipped else "not a .txt/.md file"
        raise InputError(f"{path}: {reason}")
    return _document(found.sources[0])


def _document(source: Source, clean_text: bool = True) -> Document:
    """The Document of a file read; with `clean_text=False` only its title is worked out (see `cleaned`)."""
    stem = Path(source.name).stem
    document = Document(
        name=source.name,
        path=str(source.path),
        sha256=hashlib.sha256(source.data).hexdigest(),
        raw=source.text,
        text="",
        offsets=(0,),
        title=_label(title_of(source.text)) or _label(stem) or _label(source.name) or "document",
        cleaned=False,
    )
    return cleaned(document) if clean_text else document


def cleaned(document: Document) -> Document:
    """The document with its cleaned text, offset map and blocks (itself when it has them already)."""
    if document.cleaned:
        return document
    text, offsets, blocks = clean(document.raw)
    return replace(document, text=text, offsets=tuple(offsets), blocks=tuple(blocks), cleaned=True)


def title_of(raw: str) -> str:
    """The title of a file: its front matter's, else its first non-empty level-1 heading (as `clean` would
    render it), else ""; found without cleaning the rest."""
    title, body_start = _front_matter(raw)
    if title:
        return title
    masked = _mask(raw)
    for kind, start, end, level in _blocks(masked, body_start):
        if kind == "heading" and level == 1:
            text = "".join(p[0] for p in _inline(masked, start, end)).strip()
            if text:
                return text
    return ""


def _label(text: str) -> str:
    """A title fit for a label: no control or invisible format characters (BOMs, bidi overrides), one space."""
    kept = "".join(ch if ch in _KEEP_FORMAT or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
                   else " " for ch in text)
    return " ".join(kept.split())


def clean(raw: str) -> tuple[str, list[int], list[tuple[int, int, int]]]:
    """Return cleaned text, its offset map into `raw` and its blocks (the title is `title_of`'s)."""
    _, body_start = _front_matter(raw)
    out: list[str] = []
    offsets: list[int] = []
    blocks: list[tuple[int, int, int]] = []
    headings: dict[int, int] = {}  # heading level -> block index
    masked = _mask(raw)  # same length as raw: offsets into it are offsets into the file
    for kind, start, end, level in _blocks(masked, body_start):
        pieces = _inline(masked, start, end)
        text = "".join(p[0] for p in pieces).strip()
        if not text:
            continue
        context = headings[max(headings)] if headings else -1
        if kind == "heading":
            headings = {lv: h for lv, h in headings.items() if lv < level}
            context = headings[max(headings)] if headings else -1
            headings[level] = len(blocks)
        if out:
            out.append("\n\n")
            offsets.extend([offsets[-1] + 1, offsets[-1] + 1])
        begin = len(offsets)
        _emit(pieces, out, offsets)
        blocks.append((begin, len(offsets), context))
    offsets.append(len(raw))
    return "".join(out), offsets, blocks


def _emit(pieces: list[Piece], out: list[str], offsets: list[int]) -> None:
    """Append pieces with whitespace collapsed and stripped, recording each character's raw offset."""
    pending_space = -1
    started = False
    for text, pos, verbatim in pieces:
        for i, ch in enumerate(text):
            where = pos + i if verbatim else pos
            if ch.isspace():
                if started and pending_space < 0:
                    pending_space = where
                continue
            if pending_space >= 0 and ch not in _NO_SPACE_BEFORE:
                out.append(" ")
                offsets.append(pending_space)
            pending_space = -1
            out.append(ch)
            offsets.append(where)
            started = True


# Also runs of 500+ characters without a space (base64, long URLs, minified code): no word is that long,
# and spaCy splits hyphenated ones into so many tokens that a 200 KB run takes tens of seconds.
_MASK = re.compile(r"<(figure|script|style|svg|iframe)\b.*?</\1\s*>|<!--.*?-->|\S{500,}", re.S | re.I)


def _mask(raw: str) -> str:
    """Blank out (keeping line breaks) what is never prose: figures, scripts, comments, giant tokens."""
    return _MASK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), raw)


def _front_matter(raw: str) -> tuple[str, int]:
    match = _FRONT_MATTER.match(raw)
    if not match:
        return "", 0
    title = ""
    for line in match.group(1).splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "title":
            title = value.strip().strip("'\"")
    return title, match.end()


def _lines(raw: str, start: int) -> Iterator[tuple[int, int]]:
    pos = start
    while pos < len(raw):
        nl = raw.find("\n", pos)
        end = len(raw) if nl < 0 else nl
        yield pos, end
        pos = end + 1


def _blocks(raw: str, start: int) -> Iterator[tuple[str, int, int, int]]:
    """Yield (kind, start, end, heading level) for headings, list items and paragraphs."""
    cur: list[int] | None = None  # [start, end] of the block being built
    cur_kind = "para"
    prev_line = ""
    for ls, le in _lines(raw, start):
        line = raw[ls:le].rstrip("\r")
        stripped = line.strip()
        heading = _HEADING.match(line)
        item = _LIST_ITEM.match(line)
        breaks = not stripped or heading or item or not _continues(prev_line, line, cur_kind)
        if cur is not None and breaks:
            title = cur_kind == "para" and stripped and not heading and _is_title(raw[cur[0] : cur[1]])
            yield ("heading", cur[0], cur[1], TITLE_LEVEL) if title else (cur_kind, cur[0], cur[1], 0)
            cur = None
        prev_line = line
        if not stripped:
            continue
        if heading:
            hs = ls + heading.start(2)
            yield "heading", hs, hs + len(heading.group(2)), len(heading.group(1))
            continue
        if cur is None:
            cur_kind = "item" if item else "para"
            cur = [ls + (item.end() if item else 0), ls + len(line)]
        else:
            cur[1] = ls + len(line)
    if cur is not None:
        yield cur_kind, cur[0], cur[1], 0


def _is_title(text: str) -> bool:
    """A short unpunctuated line right above a paragraph, in a page saved as text: a title."""
    text = text.strip()
    return "\n" not in text and len(text) <= 160 and not _SENTENCE_END.search(text) \
        and (text[:1].isupper() or text[:1].isdigit()) and not text.endswith(",")


def _continues(prev: str, line: str, kind: str) -> bool:
    """Does `line` continue the block `prev` is in (hard-wrapped prose) rather than start a new one?"""
    if kind == "item" and line[:1] in " \t":
        return True
    prev, first = prev.rstrip(), line.lstrip()[:1]
    # A wrapped line goes on mid-sentence; a line that opens with a capital or a digit after a line
    # without closing punctuation is a new element (a title, a table row) of a page saved as text.
    return len(prev) >= 40 and not _SENTENCE_END.search(prev) and not (first.isupper() or first.isdigit())


def _inline(raw: str, start: int, end: int) -> list[Piece]:
    pieces: list[Piece] = []
    pos = start
    for match in _INLINE.finditer(raw, start, end):
        if match.start() > pos:
            pieces.append((raw[pos : match.start()], pos, True))
        kind = match.lastgroup or ""
        if kind in ("wiki", "link"):
            pieces.append((match.group(kind), match.start(kind), True))
        elif kind == "entity":
            entity = match.group(kind)
            repl = _ENTITIES.get(entity) or _numeric_entity(entity)
            pieces.append((repl, match.start(), False))
        elif kind in ("drop_tag", "drop_el"):
            pieces.append((" ", match.start(), False))
        elif kind == "glue":  # text of two page elements run together: make it two sentences
            pieces.append((". ", match.start(), False))
        pos = match.end()
    if pos < end:
        pieces.append((raw[pos:end], pos, True))
    return pieces


def _numeric_entity(entity: str) -> str:
    code = int(entity[2:-1])
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else " "
