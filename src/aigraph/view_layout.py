"""The layered layout of the graph view: one band of columns per class, in chain order.

Stage | Technique | Risk | Intervention (| Other) from left to right, so that the chain reads left to right
(``appliesAt`` is the one edge that goes back, from Intervention to Stage). Within a band, concepts are
ordered by the barycentre heuristic of layered graph drawing (Sugiyama): each concept moves towards the mean
position of its neighbours in the other bands, which untangles most crossings in a few sweeps. A band with
many concepts is folded into several sub-columns, filled row by row so that a concept's order still decides
its height, and the number of rows is chosen to give the whole picture roughly the shape of a screen.

Everything here is deterministic (ties broken by key) and positions are integers, so the page stays
byte-identical for the same data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

ROW_DY = 64  # vertical distance between rows: a node plus its label underneath
SUB_DX = 210  # horizontal distance between the sub-columns of one band (canvas labels are cut to fit)
BAND_GAP = 360  # extra space between bands, where the edges between classes run ...
MIN_BAND_GAP = 160  # ... less when the bands are short, so that a small graph is not a thin strip
ASPECT = 1.8  # width / height the layout aims at (a landscape screen)
SWEEPS = 6  # barycentre sweeps; more rarely changes anything


@dataclass(frozen=True)
class Band:
    """A class's columns: its name, the x of its left and right sub-columns and the y of its top row."""

    name: str
    left: int
    right: int
    top: int
    count: int


def _rows(sizes: Sequence[int]) -> int:
    """Rows per band so that (bands' width) / (height) is about ASPECT; at least the smallest useful."""
    biggest = max(sizes, default=0)
    if biggest == 0:
        return 1
    best_rows, best_err = biggest, math.inf
    # A band of n concepts in r rows takes ceil(n / r) sub-columns; try every distinct sub-column count.
    for cols in range(1, biggest + 1):
        rows = math.ceil(biggest / cols)
        if cols > 1 and math.ceil(biggest / (cols - 1)) == rows:
            continue
        width = sum(max(1, math.ceil(n / rows)) for n in sizes) * SUB_DX + BAND_GAP * (len(sizes) - 1)
        height = rows * ROW_DY
        err = abs(math.log(width / height / ASPECT))
        if err < best_err:
            best_rows, best_err = rows, err
        if width / height > ASPECT * 4:
            break
    return best_rows


def _order(bands: Sequence[list[str]], neighbours: Mapping[str, Sequence[str]], band_of: Mapping[str, int]) -> None:
    """Barycentre sweeps, in place: down the bands, then back up, SWEEPS times in all."""
    where: dict[str, float] = {}

    def place(members: list[str]) -> None:
        n = max(len(members) - 1, 1)
        for i, key in enumerate(members):
            where[key] = i / n  # bands differ in size: compare relative positions

    for members in bands:
        place(members)
    order = list(range(len(bands)))
    for sweep in range(SWEEPS):
        for b in order if sweep % 2 == 0 else reversed(order):
            members = bands[b]
            linked = [k for k in members if any(band_of[m] != b for m in neighbours[k])]
            linked_set = set(linked)
            alone = [k for k in members if k not in linked_set]

            def centre(key: str, b: int = b) -> tuple[float, float, str]:
                others = [where[m] for m in neighbours[key] if band_of[m] != b]
                return (sum(others) / len(others), where[key], key)

            # concepts linked only inside their band (or not at all) go below, in their current order
            members[:] = sorted(linked, key=centre) + alone
            place(members)


def layered_positions(
    classes: Sequence[str], class_of: Mapping[str, str], edges: Iterable[tuple[str, str]], degree: Mapping[str, int]
) -> tuple[dict[str, tuple[int, int]], list[Band]]:
    """x, y for every concept of `class_of` (key -> class, one of `classes`) and the bands drawn.

    Bands without concepts are left out. Concepts with no relation to another band end their band.
    """
    neighbours: dict[str, list[str]] = {key: [] for key in class_of}
    for a, b in edges:
        if a != b:
            neighbours[a].append(b)
            neighbours[b].append(a)
    for key in neighbours:
        neighbours[key].sort()
    names = [c for c in classes if any(cls == c for cls in class_of.values())]
    index = {name: i for i, name in enumerate(names)}
    bands: list[list[str]] = [[] for _ in names]
    # start from the best-connected concepts at the top
    for key in sorted(class_of, key=lambda k: (-degree.get(k, 0), k)):
        bands[index[class_of[key]]].append(key)
    band_of = {key: index[cls] for key, cls in class_of.items()}
    _order(bands, neighbours, band_of)

    rows = _rows([len(b) for b in bands])
    positions: dict[str, tuple[int, int]] = {}
    drawn: list[Band] = []
    gap = max(MIN_BAND_GAP, min(BAND_GAP, rows * ROW_DY // 3))
    x = 0
    for name, members in zip(names, bands, strict=True):
        cols = max(1, math.ceil(len(members) / rows))
        used_rows = math.ceil(len(members) / cols)
        top = -((used_rows - 1) * ROW_DY) // 2  # short bands are centred vertically
        for i, key in enumerate(members):
            row, col = divmod(i, cols)
            # every other row shifted by half a sub-column: labels of neighbouring rows don't line up
            shift = SUB_DX // 4 if cols > 1 and row % 2 else 0
            positions[key] = (x + col * SUB_DX + shift, top + row * ROW_DY)
        drawn.append(Band(name, x, x + (cols - 1) * SUB_DX, top, len(members)))
        x += (cols - 1) * SUB_DX + SUB_DX + gap
    return positions, drawn
