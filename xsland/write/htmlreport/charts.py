"""The report's charts: matplotlib figures (no pyplot, no GUI backend: ``Figure`` with the
Agg canvas) embedded as ``data:`` URIs, SVG by default (text drawn as glyph outlines, so
the page needs no font for them) or PNG.

Chinese text is drawn with a CJK font found by :func:`find_cjk_font` (Debian's
``fonts-noto-cjk``: *Noto Sans CJK SC* first). Without one, a :class:`NoCJKFontWarning`
is issued and charts use Latin labels — park IDs, reason codes, or short codes (T1, T2 …)
explained in the caption — never boxes (豆腐块).

Every chart function takes plain data and returns an image: a mapping with ``src`` (the
``data:`` URI), ``alt`` and ``cls``, which a template draws; no markup is written here.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import PercentFormatter

from xsland.write.htmlreport.common import (
    CATEGORY_ZH,
    FAIL,
    NA,
    PASS,
    SEVERITY_ZH,
    STATUS_EN,
    STATUS_WORD,
    STATUSES,
    SYMBOL,
    UNKNOWN,
    _missing,
)

__all__ = [
    "CHART_MAX_PARKS",
    "CJK_FONT_PREFERENCES",
    "NoCJKFontWarning",
    "block_map",
    "far_chart",
    "find_cjk_font",
    "lowuse_chart",
    "platform_segments",
    "platforms_chart",
    "quality_chart",
    "status_chart",
    "targets_chart",
]

_COLOUR = {PASS: "#2e7d32", FAIL: "#c62828", UNKNOWN: "#9e9e9e", NA: "#e0e0e0"}

_HATCH = {PASS: "", FAIL: "////", UNKNOWN: "xx", NA: ""}

_SEVERITY_COLOUR = {"error": "#c62828", "warning": "#ef8f00", "info": "#78909c"}

_SEVERITY_HATCH = {"error": "////", "warning": "", "info": "\\\\\\\\"}

_CATEGORY_STYLE = {  # marker, colour: distinct shapes for black-and-white print
    "new_industrial": ("o", "#e65100"),
    "standard_factory": ("s", "#1565c0"),
    "new_type_industrial": ("^", "#6a1b9a"),
    "industrial": (".", "#616161"),
}

#: Fonts tried by :func:`find_cjk_font`, best first; a family matches a pattern exactly
#: or by containing it.
CJK_FONT_PREFERENCES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif CJK",
    "Source Han Serif",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "SimSun",
    "AR PL UMing",
    "AR PL UKai",
    "Droid Sans Fallback",
)

#: Tallest chart (inches): an A4 page less its margins and a heading.
_MAX_HEIGHT_IN = 9.4

#: Most parks a chart with one row per park shows (Fig. 2 and Fig. 4), and most segments
#: of the stacked bar of Fig. 3. A printed page holds about 30 rows at Fig. 2's row height
#: (0.27 in, 9.4 in tall at most) with labels still legible at 7 pt; beyond that the rows
#: would be squeezed and the figure would grow with the data, as would its drawing time.
#: Which parks are shown, and the note under the chart saying how many of how many, is
#: decided by the report's sections; every park stays in audit.xlsx.
CHART_MAX_PARKS = 30


class NoCJKFontWarning(UserWarning):
    """No CJK font was found: the charts of the report use Latin labels."""


def find_cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or ``None``.

    Fonts are tried in the order of :data:`CJK_FONT_PREFERENCES` (Debian's
    ``fonts-noto-cjk`` gives *Noto Sans CJK SC*); a family matches a preference
    exactly or by containing it (regular weight preferred).

    matplotlib lists fonts from a cache built the first time it ran. A CJK font
    installed after that (``make demo`` before ``make test`` on a new machine) is not
    in the cache, so when none is listed the system font folders are searched for
    CJK font files, which are registered with ``fontManager.addfont``.

    Returns
    -------
    str or None
        A family name for ``rcParams["font.family"]``.
    """
    found = _match_cjk_family(font_manager.fontManager.ttflist)
    if found is None and _register_cjk_font_files():
        found = _match_cjk_family(font_manager.fontManager.ttflist)
    return found


def _match_cjk_family(entries: Sequence[Any]) -> str | None:
    names = sorted({f.name for f in entries})
    for pattern in CJK_FONT_PREFERENCES:
        if pattern in names:
            return pattern
        hits = [n for n in names if pattern.lower() in n.lower() and "mono" not in n.lower()]
        if hits:
            return hits[0]
    return None


#: File names of CJK fonts (Noto/Source Han CJK, WenQuanYi, Droid fallback, Windows and
#: macOS Chinese fonts), searched when matplotlib's font cache lists none.
_CJK_FILE = re.compile(
    r"cjk|sourcehan|wqy|wenquanyi|droidsansfallback|msyh|simhei|simsun|pingfang|hiragino",
    re.IGNORECASE,
)


def _register_cjk_font_files() -> int:
    """Add the system's CJK font files to matplotlib's font list; how many were added."""
    added = 0
    listed = {str(f.fname) for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path in listed or not _CJK_FILE.search(Path(path).name):
            continue
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # unreadable or not a font
            continue
        added += 1
    return added


@dataclass
class _Charts:
    """Draws and embeds the charts of one report."""

    font: str | None
    fmt: str = "svg"

    @property
    def cjk(self) -> bool:
        return self.font is not None

    def t(self, zh: str, en: str) -> str:
        """Chart text: Chinese with a CJK font, else English."""
        return zh if self.cjk else en

    def labels(
        self, values: Sequence[Any], *, alt: Sequence[Any] | None = None, prefix: str = "L"
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Chart labels for data text, and the key of substituted codes (Latin mode).

        Without a CJK font, a label that is not ASCII is replaced by its ``alt``
        (a park ID, a reason code) when that is ASCII, else by ``prefix`` + number.
        """
        texts = ["" if _missing(v) else str(v) for v in values]
        if self.cjk:
            return texts, []
        out, key = [], []
        for i, text in enumerate(texts):
            other = "" if alt is None or _missing(alt[i]) else str(alt[i])
            if text.isascii():
                out.append(text)
            elif other and other.isascii():
                out.append(other)
            else:
                code = f"{prefix}{len(key) + 1}"
                out.append(code)
                key.append((code, text))
        return out, key

    @contextmanager
    def style(self) -> Iterator[None]:
        families = ([self.font] if self.font else []) + ["DejaVu Sans"]
        rc = {
            "font.family": families,
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.titleweight": "bold",
            "axes.labelsize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.unicode_minus": False,
            "text.parse_math": False,  # data text ($x^2$ in a park name) is never TeX
            "legend.fontsize": 7.5,
            "legend.frameon": False,
            "hatch.linewidth": 0.6,
            "svg.fonttype": "path",
            "svg.hashsalt": "xsland-report",
            "figure.dpi": 100,
        }
        with matplotlib.rc_context(rc):
            yield

    def figure(self, width: float, height: float) -> Figure:
        """A figure with constrained layout, never taller than a printed page allows."""
        fig = Figure(figsize=(width, min(height, _MAX_HEIGHT_IN)), layout="constrained")
        FigureCanvasAgg(fig)
        return fig

    def embed(self, fig: Figure, *, alt: str, cls: str = "chart") -> dict[str, str]:
        """The figure as an image for a template: ``src`` (a ``data:`` URI), ``alt``, ``cls``."""
        buf = io.BytesIO()
        if self.fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=200, metadata={"Software": None})
            mime = "image/png"
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        return {"src": f"data:{mime};base64,{data}", "alt": alt, "cls": cls}


def _bar_panel(
    ax: Any,
    ch: _Charts,
    values: np.ndarray,
    statuses: Sequence[str],
    target: float,
    *,
    title: str,
    pct: bool,
) -> None:
    """One panel of Fig. 2: a bar per park, one ``barh`` call per status, labelled by
    ``bar_label``; a park without a value reads "no data"."""
    values = np.asarray(values, dtype=float)
    y = np.arange(len(values))[::-1]
    shown = np.nan_to_num(values, nan=0.0)
    known = ~np.isnan(values)
    kind = np.array([s if s in (PASS, FAIL) else UNKNOWN for s in statuses], dtype=object)
    for s in (PASS, FAIL, UNKNOWN):
        sel = known & (kind == s)
        if not sel.any():
            continue
        bars = ax.barh(
            y[sel],
            shown[sel],
            color=_COLOUR[s],
            hatch=_HATCH[s],
            edgecolor="white",
            linewidth=0.5,
            height=0.7,
        )
        fmt = " {:.0%}" if pct else " {:.0f}"
        ax.bar_label(bars, labels=[fmt.format(v) for v in shown[sel]], fontsize=7)
    if not known.all():  # invisible bars carry the words
        empty = ax.barh(y[~known], 0.0, height=0.7, color="none", linewidth=0)
        ax.bar_label(
            empty,
            labels=[" ? " + ch.t("数据不足", "no data")] * int((~known).sum()),
            fontsize=7,
            color="#616161",
            padding=0,
        )
    top = np.nanmax(np.append(shown, target)) if len(shown) else target
    ax.axvline(target, color="black", linestyle="--", linewidth=1)
    ax.text(
        target,
        len(values) - 0.35,
        (f"{target:.0%}" if pct else f"{target:g}"),
        ha="center",
        va="bottom",
        fontsize=7,
        fontweight="bold",
    )
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)
    ax.set_ylim(-0.6, len(values) - 0.1)
    if pct:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left")


def _nice_length(span: float) -> float:
    target = span / 4
    for v in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if v >= target * 0.7:
            return float(v)
    return 10000.0


def _polygons(geoms: Iterable[Any]) -> np.ndarray:
    """The polygons of ``geoms`` (multi-parts and collections split; missing, empty and
    other geometries left out), shells counter-clockwise and holes clockwise."""
    g = np.asarray([x for x in geoms if x is not None], dtype=object)
    polygons = []
    while len(g):
        kind = shapely.get_type_id(g)
        polygons.append(g[(kind == 3) & ~shapely.is_empty(g)])
        g = shapely.get_parts(g[np.isin(kind, (6, 7))])  # multipolygons, collections
    out = np.concatenate(polygons) if polygons else np.empty(0, dtype=object)
    return shapely.orient_polygons(out) if len(out) else out


def _path(geoms: Iterable[Any]) -> MplPath | None:
    """All polygons of ``geoms`` as one matplotlib compound path (``None``: none).

    One ring after another, each a MOVETO, LINETOs and a CLOSEPOLY; shells
    counter-clockwise and holes clockwise, so the non-zero fill rule (matplotlib's, and
    SVG's default) leaves the holes empty. Drawn as one path, a layer of a map is one
    SVG element, not one per parcel.
    """
    rings = shapely.get_rings(_polygons(geoms))
    if len(rings) == 0:
        return None
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(ring, minlength=len(rings))
    last = np.cumsum(counts) - 1
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    codes[last - counts + 1] = MplPath.MOVETO
    codes[last] = MplPath.CLOSEPOLY
    return MplPath(xy, codes)


def _draw(ax: Any, geoms: Iterable[Any], **style: Any) -> None:
    """The polygons of ``geoms`` drawn on ``ax`` as one path of ``style`` (the axes'
    limits are set by the caller: no walk over the path's segments for them)."""
    path = _path(geoms)
    if path is not None:
        ax.add_collection(PathCollection([path], **style), autolim=False)


def block_map(
    ch: _Charts, block: Any, members: Any, context: Any, low: np.ndarray
) -> dict[str, str]:
    """A small static map of a block: its outline over its parcels and their neighbours."""
    geom = block.geometry
    minx, miny, maxx, maxy = geom.bounds
    span = max(maxx - minx, maxy - miny, 1.0)
    pad = span * 0.12
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = span / 2 + pad
    with ch.style():
        fig = Figure(figsize=(2.3, 2.3))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        _draw(ax, context.geometry, facecolor="#fafafa", edgecolor="#bdbdbd", linewidth=0.4)
        mg = members.geometry.to_numpy()
        _draw(ax, mg[~low], facecolor="#fde0ef", edgecolor="#616161", linewidth=0.5)
        _draw(ax, mg[low], facecolor="#f48fb1", edgecolor="#616161", linewidth=0.5, hatch="////")
        _draw(ax, [geom], facecolor="none", edgecolor="black", linewidth=1.8)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
        ax.set_aspect("equal")
        ax.set_axis_off()
        bar = _nice_length(2 * half)
        x0, y0 = cx - half + 0.06 * half, cy - half + 0.08 * half
        ax.plot([x0, x0 + bar], [y0, y0], color="black", linewidth=2.2, solid_capstyle="butt")
        ax.text(
            x0 + bar / 2,
            y0 + 0.04 * half,
            f"{bar:g} m",
            ha="center",
            va="bottom",
            fontsize=7,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5},
        )
        ax.annotate(
            "N",
            xy=(cx + half * 0.88, cy + half * 0.9),
            xytext=(cx + half * 0.88, cy + half * 0.62),
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold",
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1},
        )
        ax.add_patch(
            Rectangle(
                (cx - half, cy - half),
                2 * half,
                2 * half,
                fill=False,
                edgecolor="#9e9e9e",
                linewidth=0.8,
            )
        )
        return ch.embed(fig, alt=f"连片地块 {block.block_id} map", cls="blockmap")


def status_chart(
    ch: _Charts, counts: pd.DataFrame, labels: Sequence[tuple[str, str]], n_parks: int
) -> dict[str, str]:
    """Fig. 1: parks by rule (rows of ``counts``) and status (its columns)."""
    n = len(counts)
    with ch.style():
        fig = ch.figure(7.0, 0.2 * n + 0.7)
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        left = np.zeros(n)
        for s in STATUSES:
            vals = counts[s].to_numpy(dtype=float)
            ax.barh(
                y,
                vals,
                left=left,
                color=_COLOUR[s],
                hatch=_HATCH[s],
                edgecolor="white" if s != NA else "#9e9e9e",
                linewidth=0.6,
                label=f"{SYMBOL[s]} " + ch.t(STATUS_WORD[s], STATUS_EN[s]),
            )
            for yi, li, v in zip(y, left, vals, strict=True):
                if v > 0:
                    ax.text(
                        li + v / 2,
                        yi,
                        f"{v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if s in (PASS, FAIL) else "black",
                        fontweight="bold",
                        bbox={"boxstyle": "round,pad=0.1", "fc": _COLOUR[s], "lw": 0}
                        if s == FAIL
                        else None,
                    )
            left += vals
        ax.set_yticks(y, [ch.t(zh, en) for zh, en in labels])
        ax.set_xlim(0, max(n_parks, 1))
        ax.set_xlabel(ch.t("园区数", "parks"))
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.legend(loc="outside upper center", ncol=4)
        return ch.embed(fig, alt="各规则达标园区数 parks by rule and status")


def targets_chart(
    ch: _Charts,
    names: Sequence[str],
    panels: Sequence[tuple[np.ndarray, Sequence[str], float, str, bool]],
) -> dict[str, str]:
    """Fig. 2: per park, one panel per target: (values, statuses, target, title, share?)."""
    with ch.style():
        fig = ch.figure(7.2, 0.27 * len(names) + 1.1)
        axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
        for ax, (values, statuses, target, title, pct) in zip(axes, panels, strict=True):
            _bar_panel(ax, ch, values, statuses, target, title=title, pct=pct)
        axes[0].set_yticks(np.arange(len(names))[::-1], names)
        return ch.embed(fig, alt="主导产业占比与链主企业 leading industry and chain leaders")


def platform_segments(values: Sequence[float], *, cap: int = CHART_MAX_PARKS) -> np.ndarray:
    """The parks Fig. 3 draws as their own segment: positions into ``values``, in order.

    Every park with platforms (a value above 0) when there are at most ``cap``; else the
    ``cap - 1`` with the most (ties: the earlier park), the others drawn as one segment.
    """
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    has = np.flatnonzero(v > 0)
    if len(has) <= cap:
        return has
    return np.sort(has[np.argsort(-v[has], kind="stable")[: cap - 1]])


def platforms_chart(
    ch: _Charts,
    park_ids: Sequence[Any],
    values: pd.Series,
    target: float,
    title: str,
    *,
    cap: int = CHART_MAX_PARKS,
) -> dict[str, str]:
    """Fig. 3: innovation platforms of all parks, stacked, against the district target.

    A segment per park with platforms (:func:`platform_segments`: at most ``cap``, the
    others together as one grey segment "+N"), shaded alternately by park; one ``barh``
    call per shade.
    """
    v = np.asarray(values, dtype=float)
    total = float(np.nansum(v))
    n_missing = int(np.isnan(v).sum())
    own = platform_segments(v, cap=cap)
    others = np.setdiff1d(np.flatnonzero(np.nan_to_num(v, nan=0.0) > 0), own)
    widths = v[own]
    lefts = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    left = float(widths.sum())
    with ch.style():
        fig = ch.figure(7.2, 1.35)
        ax = fig.add_subplot()
        shades = np.array(["#1565c0", "#64b5f6"], dtype=object)
        if len(own):
            bars = ax.barh(
                np.zeros(len(own)),
                widths,
                left=lefts,
                color=shades[own % 2].tolist(),
                edgecolor="white",
                height=0.6,
            )
            texts = ax.bar_label(
                bars,
                labels=[ch.labels([park_ids[i]], prefix="P")[0][0] for i in own],
                label_type="center",
                fontsize=6.5,
            )
            for text, parity in zip(texts, own % 2, strict=True):  # white on the dark shade
                text.set_color("white" if parity == 0 else "black")
        if len(others):
            rest = float(v[others].sum())
            bars = ax.barh(0, rest, left=left, color="#bdbdbd", edgecolor="white", height=0.6)
            ax.bar_label(
                bars, labels=[f"+{len(others)}"], label_type="center", fontsize=6.5, color="black"
            )
            left += rest
        if n_missing:
            ax.barh(0, 0.6, left=left, color="white", edgecolor="#616161", hatch="xx", height=0.6)
            ax.text(left + 0.3, 0, "?", ha="center", va="center", fontsize=8, fontweight="bold")
            ax.text(
                left,
                -0.36,
                ch.t(f"{n_missing} 个园区缺数据", f"{n_missing} park(s) without data"),
                va="top",
                fontsize=7,
            )
        ax.axvline(target, color="black", linestyle="--", linewidth=1.2)
        ax.text(
            target + 0.08,
            0.36,
            ch.t(f"目标 {target:g} 家", f"target {target:g}"),
            ha="left",
            va="bottom",
            fontsize=7.5,
            fontweight="bold",
        )
        ax.set_xlim(0, max(target, left + (0.6 if n_missing else 0)) * 1.2 + 0.5)
        ax.set_ylim(-0.75, 0.7)
        ax.set_yticks([0], [ch.t(f"合计 {total:g}", f"total {total:g}")])
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(title, loc="left")
        return ch.embed(fig, alt="省级以上创新平台 innovation platforms")


def far_chart(
    ch: _Charts,
    names: Sequence[str],
    park_ids: Sequence[str],
    known: pd.DataFrame,
    minima: Sequence[tuple[float, str, Any]],
    low: float,
    top: float,
) -> dict[str, str]:
    """Fig. 4: FAR of each industrial parcel (``known``: park_id, category, far) per park,
    against the minima ``(value, category, line style)`` and the low-efficiency line."""
    n = len(park_ids)
    pos = {pid: i for i, pid in enumerate(list(park_ids)[::-1])}
    with ch.style():
        fig = ch.figure(7.2, 0.36 * n + 1.3)
        ax = fig.add_subplot()
        by_park = {k: g.to_numpy() for k, g in known.groupby("park_id")["far"]}
        data = [by_park.get(pid, np.array([])) for pid in pos]
        ax.boxplot(
            [d if len(d) else [np.nan] for d in data],
            positions=list(pos.values()),
            orientation="horizontal",
            widths=0.62,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#f1f1f1", "edgecolor": "#9e9e9e", "linewidth": 0.7},
            medianprops={"color": "black", "linewidth": 1.2},
            whiskerprops={"color": "#9e9e9e", "linewidth": 0.7},
            capprops={"color": "#9e9e9e", "linewidth": 0.7},
        )
        rng = np.random.default_rng(0)
        for cat, (marker, colour) in _CATEGORY_STYLE.items():
            sel = known[known["category"] == cat]
            if sel.empty:
                continue
            yy = sel["park_id"].map(pos).to_numpy(dtype=float)
            yy = yy + rng.uniform(-0.26, 0.26, len(yy))
            xx = np.minimum(sel["far"].to_numpy(dtype=float), top)
            zh, en = CATEGORY_ZH[cat]
            ax.scatter(
                xx,
                yy,
                s=9 if marker != "." else 14,
                marker=marker,
                facecolors="none" if marker in ("o", "s", "^") else colour,
                edgecolors=colour,
                linewidths=0.6,
                alpha=0.85,
                label=f"{ch.t(zh, en)} ({len(sel):,})",
                rasterized=len(known) > 2000,
            )
        for v, cat, style in minima:
            if math.isnan(v):
                continue
            ax.axvline(v, color=_CATEGORY_STYLE[cat][1], linestyle=style, linewidth=1.1)
            ax.text(
                v,
                n - 0.45,
                f"{v:g}",
                ha="center",
                va="bottom",
                fontsize=7.5,
                fontweight="bold",
                color=_CATEGORY_STYLE[cat][1],
            )
        if not math.isnan(low):
            ax.axvline(low, color="#c62828", linestyle=(0, (1, 2)), linewidth=0.9)
            ax.text(
                low,
                n - 0.45,
                ch.t(f"低效<{low:g}", f"low <{low:g}"),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#c62828",
            )
        ax.set_yticks(list(pos.values()), list(names)[::-1])
        ax.set_ylim(-0.6, n - 0.1)
        ax.set_xlim(0, top)
        ax.set_xlabel(ch.t("容积率", "floor-area ratio (FAR)"))
        fig.legend(loc="outside upper center", ncol=4, markerscale=1.6)
        return ch.embed(fig, alt="工业地块容积率分布 FAR of industrial parcels")


def lowuse_chart(
    ch: _Charts, by_town: pd.DataFrame, by_reason: pd.DataFrame
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Fig. 5: low-efficiency 亩 by town (``mu``, ``n``) and by reason (``label``, ``code``,
    ``mu``); with the key of codes that stand for names without a CJK font."""
    with ch.style():
        panels = 2 if len(by_reason) else 1
        rows_n = max(len(by_town), len(by_reason), 1)
        fig = ch.figure(7.2, 0.3 * rows_n + 1.0)
        axes = np.atleast_1d(fig.subplots(1, panels))
        tnames, tkey = ch.labels(by_town.index.tolist(), prefix="T")
        ax = axes[0]
        y = np.arange(len(by_town))[::-1]
        ax.barh(y, by_town["mu"], color="#ad1457", height=0.65)
        for yi, v, n in zip(y, by_town["mu"], by_town["n"], strict=True):
            ax.text(v, yi, f" {v:,.0f} ({n:,})", va="center", fontsize=7)
        ax.set_yticks(y, tnames)
        ax.set_ylim(len(by_town) - rows_n - 0.6, len(by_town) - 0.4)
        ax.set_xlim(0, by_town["mu"].max() * 1.25 or 1)
        ax.set_xlabel(ch.t("面积(亩)", "area (mu)"))
        ax.set_title(ch.t("按镇街", "by town"), loc="left")
        rkey: list[tuple[str, str]] = []
        if panels == 2:
            rnames, rkey = ch.labels(
                by_reason["label"].tolist(), alt=by_reason["code"].tolist(), prefix="R"
            )
            ax = axes[1]
            y = np.arange(len(by_reason))[::-1]
            ax.barh(
                y, by_reason["mu"], color="#f06292", hatch="////", edgecolor="white", height=0.65
            )
            for yi, v in zip(y, by_reason["mu"], strict=True):
                ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
            ax.set_yticks(y, rnames)
            ax.set_ylim(len(by_reason) - rows_n - 0.6, len(by_reason) - 0.4)
            ax.set_xlim(0, by_reason["mu"].max() * 1.25 or 1)
            ax.set_xlabel(ch.t("面积(亩)", "area (mu)"))
            ax.set_title(ch.t("按原因", "by reason"), loc="left")
        img = ch.embed(fig, alt="低效用地面积 low-efficiency land by town and reason")
    return img, tkey + rkey


def quality_chart(ch: _Charts, groups: pd.DataFrame, names: Sequence[str]) -> dict[str, str]:
    """Fig. 6: data-quality findings (``n``, ``severity``) by layer and check."""
    with ch.style():
        fig = ch.figure(7.2, 0.26 * len(groups) + 0.9)
        ax = fig.add_subplot()
        y = np.arange(len(groups))[::-1]
        seen = set()
        for yi, (_, r) in zip(y, groups.iterrows(), strict=True):
            sev = r["severity"] if r["severity"] in _SEVERITY_COLOUR else "info"
            label = None if sev in seen else ch.t(SEVERITY_ZH[sev], sev)
            seen.add(sev)
            ax.barh(
                yi,
                r["n"],
                color=_SEVERITY_COLOUR[sev],
                hatch=_SEVERITY_HATCH[sev],
                edgecolor="white",
                height=0.65,
                label=label,
            )
            ax.text(r["n"], yi, f" {r['n']:,}", va="center", fontsize=7)
        ax.set_yticks(y, names)
        ax.set_xlim(0, groups["n"].max() * 1.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(ch.t("条数", "findings"))
        ax.legend(loc="lower right")
        return ch.embed(fig, alt="数据质量问题 data-quality findings")
