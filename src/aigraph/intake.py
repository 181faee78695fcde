"""Which files of a corpus folder are read, and how: the reader's defences against hostile input.

Each entry is judged from `os.lstat` before anything is opened:

* hidden names (a leading `.`) and the root's SOURCES.md manifest are passed over silently; other files
  without a `.txt`/`.md`/`.markdown` suffix are *ignored* (listed in the report, not an error);
* FIFOs, sockets and device files are *skipped* and never opened; so are file names that are not valid
  UTF-8, symlinks that are broken or resolve outside the corpus root, and symlinked folders (never followed);
* a file over the size cap is skipped with its size.

A file that passes is opened once (`O_NONBLOCK | O_NOFOLLOW`, then `fstat`: it must still be the regular
file that was judged) and read in full; what was read is what is hashed and extracted. Then:

* a NUL byte, a known binary signature (PDF, ZIP) or a text of mostly control characters: skipped as binary;
* decoding: UTF-8 (leading byte-order marks removed); UTF-16/UTF-32 when the file starts with their BOM;
  otherwise Windows-1252 (cp1252, the usual encoding of "ANSI" exports; its five unassigned bytes read as
  Latin-1), with a warning that names the first byte that is not UTF-8. Decoding never fails;
* empty or whitespace-only text: skipped as empty.
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown")
MANIFEST = "SOURCES.md"  # the corpus provenance manifest at the root is not a document
MAX_BYTES = 10 * 1024 * 1024  # default size cap per file (10 MiB); `aigraph build --max-bytes`
_CONTROL_SHARE = 0.05  # more control characters than this (tab, line breaks, form feed aside): binary
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab, line breaks, form feed
_SIGNATURES = (
    (b"%PDF-", "a PDF file, not text: convert it first, e.g. `pdftotext FILE.pdf FILE.txt`"),
    (b"PK\x03\x04", "a ZIP archive (e.g. .docx or .odt), not text: export it as plain text first"),
    (b"\x7fELF", "an executable, not text"),
)
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte cp1252 leaves unassigned reads as the Latin-1 character of that value."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("aigraph-latin1", _latin1_fallback)


@dataclass(frozen=True)
class Skipped:
    """A file that was not read, or read and not used; `reason` says why and what to do."""

    file: str
    reason: str
    size: int | None = None


@dataclass(frozen=True)
class Notice:
    """A file that was used, with something the user should know (fallback encoding, changed while building)."""

    file: str
    message: str


@dataclass(frozen=True)
class Source:
    """One file as read: its bytes (what is hashed), its decoded text and its state at read time."""

    name: str  # relative to the corpus root, forward slashes
    path: Path  # the file read (a symlink's target)
    data: bytes
    text: str
    encoding: str
    size: int
    mtime_ns: int
    read_at: float  # time.time() when it was read


@dataclass
class Scan:
    """Everything found under a corpus root: the sources read, and what was skipped, ignored or noted."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def display_name(name: str) -> str:
    """A file name that can be printed and written to JSON: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def printable(name: str) -> str:
    """A file name safe to print on a terminal: control and invisible characters (escape sequences, line
    breaks, bidi overrides) shown as `\\xNN`/`\\uNNNN` escapes."""
    shown = display_name(name)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in shown)


def scan(root: Path, max_bytes: int = MAX_BYTES, only: str | None = None) -> Scan:
    """Judge and read every entry under `root` (a folder; sorted by relative name, never following
    symlinked folders), or only the entry `only` (a name relative to `root`). `root` may be a symlink."""
    base = Path(os.path.realpath(root))
    result = Scan()
    if only is not None:
        _judge(base, only, max_bytes, result)
        return result
    stack = [""]  # relative folder names, "" for the root
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(base / folder if folder else base) as entries:
                names = sorted(e.name for e in entries)
        except OSError as exc:
            result.skipped.append(Skipped(display_name(folder or "."), f"folder cannot be listed ({exc.strerror})"))
            continue
        for entry_name in names:
            rel = f"{folder}/{entry_name}" if folder else entry_name
            if entry_name.startswith("."):
                continue
            subfolder = _judge(base, rel, max_bytes, result)
            if subfolder:
                stack.append(rel)
    result.sources.sort(key=lambda s: s.name)
    result.skipped.sort(key=lambda s: s.file)
    result.ignored.sort(key=lambda s: s.file)
    result.notices.sort(key=lambda n: n.file)
    return result


def _judge(base: Path, rel: str, max_bytes: int, result: Scan) -> bool:
    """Decide about one entry; read it when it is a wanted file. True for a folder to descend into."""
    path = base / rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        result.skipped.append(Skipped(display_name(rel), "file name is not valid UTF-8: rename it "
                                      "(e.g. `convmv -f latin1 -t utf8 --notest NAME`)"))
        return False
    try:
        st = os.lstat(path)
    except OSError as exc:
        result.skipped.append(Skipped(rel, f"removed before it could be read ({exc.strerror})"))
        return False
    if stat.S_ISDIR(st.st_mode):
        return True
    wanted = rel.lower().endswith(SUFFIXES)
    if stat.S_ISLNK(st.st_mode):
        target, why = _follow(base, path)
        if target is None and (wanted or why.startswith("symlink to a folder")):
            result.skipped.append(Skipped(rel, why))
            return False
        if target is not None:
            try:
                path, st = target, os.stat(target)
            except OSError as exc:
                result.skipped.append(Skipped(rel, f"symlink target removed before it could be read ({exc})"))
                return False
    if not wanted or rel.lower() == MANIFEST.lower():
        if rel.lower() != MANIFEST.lower():
            result.ignored.append(Skipped(rel, f"not a {'/'.join(SUFFIXES)} file", st.st_size))
        return False
    kind = _not_regular(st.st_mode)
    if kind:
        result.skipped.append(Skipped(rel, f"{kind}, not a regular file: never opened"))
        return False
    if st.st_size > max_bytes:
        result.skipped.append(Skipped(rel, _too_large(st.st_size, max_bytes), st.st_size))
        return False
    outcome = _read(rel, path, st, max_bytes)
    if isinstance(outcome, Skipped):
        result.skipped.append(outcome)
    else:
        source, notice = outcome
        result.sources.append(source)
        if notice:
            result.notices.append(Notice(rel, notice))
    return False


def _follow(base: Path, link: Path) -> tuple[Path | None, str]:
    """A symlink's target when it is a file inside `base`; else None and the reason it is not followed."""
    try:
        target = Path(os.path.realpath(link, strict=True))
    except (OSError, RuntimeError) as exc:
        what = "a symlink loop" if getattr(exc, "errno", None) == errno.ELOOP else "a broken symlink"
        return None, f"{what}: not followed"
    if target.is_dir():
        return None, "symlink to a folder: not followed (copy its files into the corpus instead)"
    if target != base and base not in target.parents:
        return None, f"symlink to {printable(str(target))}, outside the corpus folder: not followed"
    return target, ""


def _not_regular(mode: int) -> str:
    if stat.S_ISREG(mode):
        return ""
    for test, kind in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "a special file"


def _too_large(size: int, max_bytes: int) -> str:
    return f"{size:,} bytes, over the size cap of {max_bytes:,} bytes: split it or raise --max-bytes"


def _read(rel: str, path: Path, judged: os.stat_result, max_bytes: int) -> Skipped | tuple[Source, str]:
    """Open and read one file once; check it is the file judged, then decode it."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return Skipped(rel, "removed before it could be read")
    except OSError as exc:
        return Skipped(rel, f"cannot be opened ({exc.strerror})", judged.st_size)
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (judged.st_dev, judged.st_ino):
            return Skipped(rel, "replaced by another file while being read: build again")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            return Skipped(rel, f"cannot be read ({exc.strerror})", st.st_size)
    read_at = time.time()
    if len(data) > max_bytes:
        return Skipped(rel, _too_large(len(data), max_bytes), len(data))
    decoded = decode(data)
    if isinstance(decoded, str):
        return Skipped(rel, decoded, len(data))
    text, encoding, notice = decoded
    if not text.strip():
        return Skipped(rel, "empty: no text to read" if not text else "whitespace only: no text to read", len(data))
    return Source(rel, path, data, text, encoding, len(data), st.st_mtime_ns, read_at), notice


def decode(data: bytes) -> str | tuple[str, str, str]:
    """(text, encoding, notice) for a file's bytes, or the reason they are not text. Never raises."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding, ""
            except UnicodeDecodeError as exc:
                return f"binary: starts with a {encoding.upper()} byte-order mark but is not {encoding} " \
                       f"(byte {exc.start})"
    nul = data.find(b"\x00")
    if nul >= 0:
        return f"binary: NUL byte at offset {nul}"
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            return f"binary: {what}"
    notice = ""
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        body = data.removeprefix(codecs.BOM_UTF8)
        text, encoding = body.decode("cp1252", "aigraph-latin1"), "cp1252"
        notice = (f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); read as Windows-1252 "
                  "(cp1252): check its accented letters and quotes, or convert the file to UTF-8, e.g. "
                  "`iconv -f cp1252 -t utf-8`")
    controls = len(_CONTROLS.findall(text))
    if controls > _CONTROL_SHARE * len(text):
        return f"binary: {controls} control characters in {len(text)}"
    return text.lstrip("\ufeff"), encoding, notice


def changes_since_read(sources: list[Source]) -> list[Notice]:
    """Re-stat every file read: one notice per file changed or removed since (its graph is of the version read)."""
    notices = []
    for source in sources:
        when = time.strftime("%H:%M:%S", time.localtime(source.read_at))
        try:
            st = os.stat(source.path)
        except OSError:
            notices.append(Notice(source.name, f"removed during the build; extracted the version read at {when}"))
            continue
        if (st.st_size, st.st_mtime_ns) != (source.size, source.mtime_ns):
            notices.append(Notice(source.name, f"changed during the build; extracted the version read at {when} "
                                  "(build again to take the new version)"))
    return notices
