"""A hostile corpus, generated at test time into a temporary folder (FIFOs, sockets, devices, symlinks and
names that are not UTF-8 cannot be committed anyway), and the spaCy pipeline the reliability tests share.

`write_hostile_corpus(folder)` writes it and returns what a build must make of it: the files that become
documents, the files skipped (with a word of the reason each must give), the warnings and the duplicates.
"""

from __future__ import annotations

import atexit
import base64
import codecs
import contextlib
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from spacy.language import Language

from aigraph.extract import load_pipeline

#: Prose the extractor finds concepts and relations in (tests/data/chains, shortened).
PROSE = (
    "# Building a model\n\n## Post-training\n\n"
    "During post-training, developers use reinforcement learning from human feedback and fine-tuning.\n\n"
    "Reinforcement learning from human feedback can lead to sycophancy and reward hacking.\n"
    "Reward hacking is mitigated by process supervision.\n"
)
SECRET = "TOP-SECRET-OUTSIDE-THE-CORPUS"  # text of files outside the corpus: must never reach the graph
MAX_BYTES = 10 * 1024 * 1024  # the default size cap


@cache
def pipeline() -> Language:
    """The real spaCy pipeline, loaded once per test session (about a second)."""
    return load_pipeline()


@dataclass
class Hostile:
    root: Path
    documents: set[str] = field(default_factory=set)  # names that become aig:Documents with their own text
    skipped: dict[str, str] = field(default_factory=dict)  # name -> a word the reason must contain
    warnings: dict[str, str] = field(default_factory=dict)  # name -> a word the warning must contain
    duplicates: dict[str, str] = field(default_factory=dict)  # name -> name of the file with the same bytes
    ignored: set[str] = field(default_factory=set)
    outside: Path | None = None  # a folder beside the corpus that links point into


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def write_hostile_corpus(root: Path) -> Hostile:
    """Write the hostile corpus into `root` (created) and an `outside/` folder beside it."""
    root.mkdir(parents=True)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    _write(outside / "secret.md", f"# {SECRET}\n\nFine-tuning introduces reward hacking. {SECRET}\n")
    (outside / "folder").mkdir()
    _write(outside / "folder" / "inner.md", f"{SECRET} in a linked folder. Red teaming helps.\n")
    h = Hostile(root, outside=outside)

    def doc(name: str, data: bytes | str) -> None:
        _write(root / name, data)
        h.documents.add(name)

    def skip(name: str, data: bytes | str, word: str) -> None:
        _write(root / name, data)
        h.skipped[name] = word

    # --- read: ordinary, odd encodings, odd names -------------------------------------------------------
    doc("good.md", PROSE)
    doc("sub/deep/nested.txt", "Red teaming reduces sycophancy.\nData poisoning is mitigated by data filtering.\n")
    doc("bom.md", codecs.BOM_UTF8 + "# \ufeffBOM title\n\nFine-tuning can cause catastrophic forgetting.\n".encode())
    doc("double-bom.txt", (codecs.BOM_UTF8 * 2) + b"Title twice marked\n\nPrompt injection is a risk.\n")
    doc("crlf.md", PROSE.replace("\n", "\r\n"))
    doc("cp1252.txt", "Caf\u00e9 \u201cquotes\u201d \u2013 fine-tuning leads to reward hacking.\n".encode("cp1252"))
    h.warnings["cp1252.txt"] = "cp1252"
    doc("cp1252-undefined.txt", b"The five bytes cp1252 leaves undefined, \x81 \x8d \x8f \x90 \x9d, read as Latin-1. "
        b"Red teaming reduces sycophancy, and process supervision mitigates reward hacking.\n")
    h.warnings["cp1252-undefined.txt"] = "cp1252"
    doc("utf16.txt", "\ufeffUTF-16 text: red teaming reduces sycophancy.\n".encode("utf-16-le"))
    doc("controls.md", "---\ntitle: 'Bell\x07 tab\tRLO\u202e \u05e9\u05dc\u05d5\u05dd \U0001f600'\n---\n\n"
        "Escape \x1b[31m red \x1b[0m, bell\x07 and form\x0cfeed: red teaming reduces sycophancy.\n")
    doc("name with spaces.md", "Input filtering defends against prompt injection.\n")
    doc('quote"s <angle> {}|^`\\.md', "Process supervision mitigates reward hacking.\n")
    doc("emoji \U0001f600.md", "Interpretability audits reduce sycophancy.\n")
    doc("\u05e2\u05d1\u05e8\u05d9\u05ea \u0639\u0631\u0628\u064a.md",  # right-to-left: Hebrew, Arabic
        "Continual evaluation detects catastrophic forgetting.\n")
    doc("new\nline\tand\x1b[31mescape.md", "Red teaming reduces data poisoning.\n")
    doc("Same Name.md", "Fine-tuning is a technique.\n")
    doc("same-name.md", "Fine-tuning is a technique, again.\n")
    doc("same_name.md", "Fine-tuning is a technique, a third time.\n")
    doc("\U0001f600.md", "Only an emoji names this file: sycophancy.\n")
    doc("\U0001f601.md", "Another emoji names this file: sycophancy again.\n")
    rnd = random.Random(7)
    doc("long-token.txt", "Red teaming reduces sycophancy.\n\n" + base64.b64encode(rnd.randbytes(150_000)).decode()
        + "\n\nReward hacking is mitigated by process supervision.\n")
    # --- duplicates: extracted once, both sources kept -------------------------------------------------
    _write(root / "dup-b.md", PROSE.replace("Building", "Copying"))
    h.documents.add("dup-b.md")
    _write(root / "dup-a-copy.md", PROSE.replace("Building", "Copying"))
    h.duplicates["dup-b.md"] = "dup-a-copy.md"  # by name order, dup-a-copy.md is the one extracted
    h.documents.discard("dup-b.md")
    h.documents.add("dup-a-copy.md")
    os.symlink("good.md", root / "inside-link.md")  # a symlink inside the corpus is followed: a duplicate
    h.duplicates["inside-link.md"] = "good.md"

    # --- skipped ---------------------------------------------------------------------------------------
    skip("empty.txt", b"", "empty")
    skip("blank.md", " \n\t\r\n  \n", "whitespace")
    skip("nul.txt", b"text with a NUL\x00 byte", "NUL")
    skip("late-nul.txt", b"prose " * 2000 + b"\x00 after 12 KB", "NUL")
    skip("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rnd.randbytes(400), "binary")
    skip("paper.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n", "PDF")
    skip("archive.txt", b"PK\x03\x04\x14\x00\x06\x00" + rnd.randbytes(200).replace(b"\x00", b"\x01"), "binary")
    skip("controls-only.txt", bytes(rnd.choice([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 27]) for _ in range(600)), "control")
    skip("bad-utf16.txt", codecs.BOM_UTF16_LE + b"\x00\xd8\x41", "UTF-16")
    with open(root / "too-big.txt", "wb") as handle:  # sparse: no disk used, never read
        handle.truncate(MAX_BYTES + 1)
    h.skipped["too-big.txt"] = f"{MAX_BYTES + 1:,} bytes"
    os.mkfifo(root / "fifo.txt")  # opening it would block the build forever
    h.skipped["fifo.txt"] = "FIFO"
    with _cwd(root):  # AF_UNIX paths are short: bind relative to the corpus folder
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind("socket.md")
        sock.close()
    h.skipped["socket.md"] = "socket"
    try:
        os.mknod(root / "device.txt", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
        h.skipped["device.txt"] = "device"
    except PermissionError:  # not root: no device file, the symlinks below still point at /dev
        pass
    os.symlink(outside / "secret.md", root / "outside-link.md")
    h.skipped["outside-link.md"] = "outside the corpus"
    os.symlink("/etc/passwd", root / "passwd.txt")
    h.skipped["passwd.txt"] = "outside the corpus"
    os.symlink("/dev/zero", root / "zero.txt")  # reading it would never end
    h.skipped["zero.txt"] = "outside the corpus"
    os.symlink(root / "nowhere.md", root / "broken-link.md")
    h.skipped["broken-link.md"] = "broken"
    os.symlink("loop-b.md", root / "loop-a.md")
    os.symlink("loop-a.md", root / "loop-b.md")
    h.skipped.update({"loop-a.md": "loop", "loop-b.md": "loop"})
    os.symlink(outside / "folder", root / "linked-folder")
    h.skipped["linked-folder"] = "folder"
    bad = os.fsencode(root) + b"/bad-\xff-name.md"
    with open(bad, "wb") as handle:
        handle.write(b"A name that is not UTF-8: red teaming.\n")
    h.skipped["bad-\\xff-name.md"] = "not valid UTF-8"

    # --- passed over ------------------------------------------------------------------------------------
    _write(root / ".hidden.md", f"{SECRET} hidden\n")
    _write(root / ".git" / "HEAD.md", f"{SECRET} in a hidden folder\n")
    _write(root / "notes.pdf", b"%PDF-1.4\n")
    _write(root / "page.html", f"<p>{SECRET}</p>")
    h.ignored.update({"notes.pdf", "page.html"})
    _write(root / "SOURCES.md", "# Sources\n\nThe manifest, not a document.\n")
    return h


@dataclass
class Built:
    """The hostile corpus built by a real `python -m aigraph build` process."""

    corpus: Hostile
    out: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    fifo_opened: bool  # did anything open the FIFO (a writer waiting on it was let through)?


@cache
def build_hostile() -> Built:
    """Write the hostile corpus into a fresh temporary folder and build it once per test session."""
    top = Path(tempfile.mkdtemp(prefix="aigraph-hostile-"))
    atexit.register(shutil.rmtree, top, True)
    corpus = write_hostile_corpus(top / "corpus")
    fifo = corpus.root / "fifo.txt"
    writer = threading.Thread(target=lambda: os.close(os.open(fifo, os.O_WRONLY)), daemon=True)
    writer.start()  # blocks until a reader opens the FIFO: the build must never be that reader
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "aigraph", "build", str(corpus.root), "--out", str(top / "out")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONHASHSEED": "1"})
    seconds = time.perf_counter() - started
    opened = not writer.is_alive()
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # let the writer go
    writer.join(5)
    os.close(reader)
    return Built(corpus, top / "out", done.returncode, done.stdout, done.stderr, seconds, opened)
