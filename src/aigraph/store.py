"""The on-disk graph store of a build: an Oxigraph (RocksDB) store that `aigraph query` opens read-only,
without parsing any graph file.

Layout, in the build folder:

    store -> store-<random>      a relative symbolic link, replaced atomically (os.replace)
    store-<random>/              an Oxigraph store, written once by one build and never written again

What a store holds:

- every document's named graph `<https://w3id.org/aigraph/graph/<doc>>`, exactly as in graph.trig;
- the ontology and the lexicon (ontology/aigraph.ttl, lexicon.ttl) in `<https://w3id.org/aigraph/graph/ontology>`;
- every triple of the document graphs once in the default graph (graph.ttl): queries get set semantics
  (pyoxigraph 0.5's union default graph is a bag, see aigraph.query) without a copy at load time. The
  ontology is not in the default graph, so a query without `GRAPH` sees the corpus only, as with graph.trig.

A build loads its graph files into a new `store-*` folder beside the current one and switches the link
only when the store is complete and synced to disk: a build killed before the switch leaves the previous
store in use, and its partial folder is removed by the next build that gets to switch. After a switch the
store the link pointed to before is kept (a long-running reader, such as `aigraph serve`, may still have it
open) and older ones are removed. A reader opens the folder the link points to at that moment (the link is
resolved first), so it never mixes the files of two stores. Only one build may write a build folder at a
time: `write_store` must run under the build lock (aigraph.build).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from aigraph.errors import BuildError, InputError
from aigraph.lexicon import ontology_dir

log = logging.getLogger(__name__)

STORE_LINK = "store"
STORE_PREFIX = "store-"
ONTOLOGY_GRAPH = "https://w3id.org/aigraph/graph/ontology"
ONTOLOGY_FILES = ("aigraph.ttl", "lexicon.ttl")
_MARKERS = ("CURRENT", "IDENTITY")  # files every RocksDB folder has


def write_store(out_dir: str | os.PathLike[str], graphs: str | os.PathLike[str],
                union: str | os.PathLike[str]) -> Path:
    """`prepare_store` then `switch`: the new store is in use when this returns."""
    target = prepare_store(out_dir, graphs, union)
    switch(Path(out_dir), target)
    return target


def prepare_store(out_dir: str | os.PathLike[str], graphs: str | os.PathLike[str],
                  union: str | os.PathLike[str]) -> Path:
    """Load a build's graph files into a new store folder in `out_dir`, not yet in use (see `switch`).

    `graphs` holds the documents' named graphs (.trig or .nq), `union` their union as triples (.ttl or .nt),
    which goes into the default graph. Returns the new folder. Raises BuildError when the store cannot be
    written; the previous store then stays in use.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    formats = _format(Path(graphs), quads=True), _format(Path(union), quads=False)
    target = Path(tempfile.mkdtemp(prefix=STORE_PREFIX, dir=out))
    try:
        os.chmod(target, 0o777 & ~_umask())  # mkdtemp makes 0700; the store is shared like the other outputs
        _load(target, (Path(graphs), formats[0]), (Path(union), formats[1]))
        _fsync_tree(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _load(target: Path, graphs: tuple[Path, ox.RdfFormat], union: tuple[Path, ox.RdfFormat]) -> None:
    try:
        store = ox.Store(str(target))
        try:
            store.bulk_load(path=str(graphs[0]), format=graphs[1])
            store.bulk_load(path=str(union[0]), format=union[1], to_graph=ox.DefaultGraph())
            store.bulk_extend(ontology_quads())
            store.flush()
            log.debug("loaded %d quads into %s", len(store), target)
        finally:
            del store
            gc.collect()  # the store closes (and releases its lock) when the object is freed
    except (OSError, SyntaxError, ValueError) as exc:
        raise BuildError(f"cannot write the graph store {target}: {exc}; check the free disk space and the "
                         f"permissions of {target.parent}, then run `aigraph build` again") from exc


def ontology_quads() -> list[ox.Quad]:
    """The ontology and lexicon files in the ontology graph, with blank nodes named by their order in the files
    (a parser names them at random): every store holds the very same quads."""
    graph = ox.NamedNode(ONTOLOGY_GRAPH)
    quads = []
    for index, name in enumerate(ONTOLOGY_FILES):
        names: dict[str, ox.BlankNode] = {}

        def fixed(term: Any, names: dict[str, ox.BlankNode] = names, index: int = index) -> Any:
            if isinstance(term, ox.BlankNode):
                return names.setdefault(term.value, ox.BlankNode(f"o{index}b{len(names)}"))
            return term

        for quad in ox.parse(path=str(ontology_dir() / name), format=ox.RdfFormat.TURTLE):
            quads.append(ox.Quad(fixed(quad.subject), quad.predicate, fixed(quad.object), graph))
    return quads


def _format(path: Path, *, quads: bool) -> ox.RdfFormat:
    formats = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS} if quads else \
        {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        raise BuildError(f"{path}: cannot load a {path.suffix!r} file into the store; "
                         f"give a {' or '.join(formats)} file")
    return fmt


def switch(out_dir: Path, target: Path) -> None:
    """Point `out_dir/store` at `target` (a folder in `out_dir`) atomically, then remove old stores."""
    link = out_dir / STORE_LINK
    previous = current_target(out_dir)
    if link.is_dir() and not link.is_symlink():  # a real folder (a build folder copied with cp -L): set aside
        os.replace(link, tempfile.mkdtemp(prefix=STORE_PREFIX, dir=out_dir))
        previous = None
    tmp = out_dir / f".{STORE_LINK}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(target.name, tmp)
    os.replace(tmp, link)
    _fsync_dir(out_dir)
    log.info("switched %s to %s", link, target.name)
    keep = {target.name} | ({previous.name} if previous is not None else set())
    for old in sorted(out_dir.glob(f"{STORE_PREFIX}*")):
        if old.name not in keep and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
            log.debug("removed old store %s", old)


def current_target(out_dir: Path) -> Path | None:
    """The store folder `out_dir/store` points to, or None."""
    link = out_dir / STORE_LINK
    if not link.is_symlink():
        return None
    target = (out_dir / os.readlink(link)).resolve()
    return target if is_store(target) else None


def is_store(path: Path) -> bool:
    return path.is_dir() and all((path / marker).is_file() for marker in _MARKERS)


def find_store(path: str | os.PathLike[str]) -> Path | None:
    """The store folder for `path` (a store folder, or a build folder holding `store`), resolved; else None."""
    base = Path(path)
    for candidate in (base, base / STORE_LINK):
        if is_store(candidate):
            return candidate.resolve()
    return None


def open_store(path: str | os.PathLike[str]) -> ox.Store:
    """Open the store of a build folder (or a store folder itself) read-only."""
    found = find_store(path)
    if found is None:
        raise InputError(f"{path}: no graph store here; run `aigraph build` (it writes the store into "
                         "the build folder), or give a graph file such as build/graph.trig")
    try:
        store = ox.Store.read_only(str(found))
    except OSError as exc:
        raise InputError(f"{found}: cannot open the graph store: {exc}; "
                         "run `aigraph build` again to rewrite it") from exc
    log.debug("opened store %s read-only", found)
    return store


def document_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The store's named graphs other than the ontology graph, sorted."""
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value != ONTOLOGY_GRAPH]
    return sorted(graphs, key=lambda g: g.value)


def _fsync_tree(folder: Path) -> None:
    """Flush every file of `folder` to disk, so a crash after the switch cannot leave a torn store."""
    for path in folder.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system can sync a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
