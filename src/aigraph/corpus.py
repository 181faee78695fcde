"""Read a corpus folder: `.txt` and `.md` files -> `Document`s with cleaned text and an offset map.

Cleaning drops what is not prose (front matter, HTML tags, timestamps, link targets, emphasis marks)
and splits the text into blocks (paragraphs, headings, list items). Every character of the cleaned
text remembers where it came from in the file, so evidence offsets always point into the original.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from aigraph.errors import InputError
from aigraph.model import Document

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown")
TITLE_LEVEL = 7  # below Markdown's six heading levels
MANIFEST = "SOURCES.md"  # the corpus provenance manifest at the root is not a document

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
    | (?P<drop_mark>\*\*|__|`+|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w))
    | (?P<glue>(?<=[a-z]{7})(?=[A-Z][a-z]{2,}))                         # "FoundationsDevelop"
    """,
    re.X | re.S,
)
_NO_SPACE_BEFORE = frozenset(".,;:!?)")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " "}

Piece = tuple[str, int, bool]  # (text, raw offset of its first char, text is a verbatim copy of raw)


def read_corpus(root: str | Path) -> list[Document]:
    """Read every `.txt`/`.md` file under `root` (recursively, sorted by path; hidden files and the
    root's SOURCES.md manifest are skipped)."""
    base = Path(root)
    if not base.exists():
        raise InputError(f"corpus folder {str(base)!r} does not exist; pass a folder of .txt or .md files")
    if base.is_file():
        return [read_document(base, base.parent)]
    files: list[Path] = []
    skipped: list[Path] = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        wanted = path.suffix.lower() in SUFFIXES and rel.as_posix().lower() != MANIFEST.lower()
        (files if wanted else skipped).append(path)
    for path in skipped:
        log.info("skipping %s: not a %s document", path, "/".join(SUFFIXES))
    if not files:
        raise InputError(f"no {', '.join(SUFFIXES)} files in {str(base)!r}")
    return [read_document(p, base) for p in files]


def read_document(path: Path, root: Path) -> Document:
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (byte {exc.start}); convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from exc
    name = path.relative_to(root).as_posix()
    text, offsets, blocks, title = clean(raw)
    return Document(
        name=name,
        path=str(path.resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
        raw=raw,
        text=text,
        offsets=tuple(offsets),
        title=title or path.stem,
        blocks=tuple(blocks),
    )


def clean(raw: str) -> tuple[str, list[int], list[tuple[int, int, int]], str]:
    """Return cleaned text, its offset map into `raw`, its blocks and a title."""
    title, body_start = _front_matter(raw)
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
            title = title or (text if level == 1 else "")
        if out:
            out.append("\n\n")
            offsets.extend([offsets[-1] + 1, offsets[-1] + 1])
        begin = len(offsets)
        _emit(pieces, out, offsets)
        blocks.append((begin, len(offsets), context))
    offsets.append(len(raw))
    return "".join(out), offsets, blocks, title


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


_MASK = re.compile(r"<(figure|script|style|svg|iframe)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)


def _mask(raw: str) -> str:
    """Blank out (keeping line breaks) elements that are never prose: figures, scripts, comments."""
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
