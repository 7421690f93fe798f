"""The in-memory audit: park checks, low-efficiency flags and blocks in one call.

:func:`run` (re-exported as :func:`xsland.run_audit`) takes validated layers and
returns an :class:`~xsland.result.AuditResult`; the steps it calls live in the
layers below (measure, judge, group).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.errors import GEOSException

import xsland._sums as sums
from xsland._progress import step
from xsland._threads import Later, cpus, later
from xsland.errors import DataError, Problem, ValidationError
from xsland.group.blocks import block_links, block_members, block_table, find_blocks
from xsland.judge.audit import (
    district_checks,
    parcel_table,
    park_checks,
    town_partial,
    town_rollup_combine,
)
from xsland.judge.intensity import intensity_combine, intensity_partial
from xsland.judge.intensity import land_combine as intensity_land
from xsland.judge.intensity import land_partial as intensity_land_partial
from xsland.judge.lowuse import (
    flag,
    land_combine,
    land_partial,
    per_mu,
    summary_combine,
    summary_partial,
)
from xsland.judge.mujun import mujun
from xsland.judge.supply import supply_rates_combine, supply_rates_partial, supply_status
from xsland.measure.far import plot_ratio
from xsland.measure.overlay import park_assignment
from xsland.measure.quality import parcel_checks
from xsland.measure.raster import WORLDCOVER_CLASSES, landcover_shares, park_landcover
from xsland.read.crs import metric_crs
from xsland.read.harmonise import harmonise
from xsland.read.io import rename_columns
from xsland.read.validate import is_validated, quality_frame, validate_layer, validate_table
from xsland.result import AuditResult, conform, unwritable_text
from xsland.rules.policy import DEFAULT_POLICY, Policy
from xsland.rules.schema import get_kind

__all__ = [
    "combine_roll_ups",
    "fill_files",
    "judge_parcels",
    "land_partials",
    "parcel_towns",
    "roll_up_partial",
    "roll_ups",
    "run",
    "source_files",
    "with_block_counts",
    "with_park_landcover",
]


def _validated(inputs: list[Any], *, policy: Policy) -> list[Any]:
    """Each input (in :data:`_KINDS` order, then the history) as validated for its kind.

    An input :func:`~xsland.read.validate.is_validated` for its kind is taken as it is;
    another has its columns named by the aliases (:func:`xsland.read.io.rename_columns`)
    and is validated here (:func:`~xsland.read.validate.validate_layer` or
    :func:`~xsland.read.validate.validate_table`, raising on problems), so a frame made
    by other means gets the repairs and checks a file read gets — an invalid polygon
    repaired instead of a GEOS error in the middle of the audit, a column of its own
    called ``low_efficiency`` renamed instead of silently standing in the audit's place.

    Raises
    ------
    ValidationError
        Every problem of every input, together.
    """
    problems: list[Problem] = []
    out: list[Any] = []
    for kind, frame in zip((*_KINDS, "history"), inputs, strict=True):
        if frame is None and kind in ("parks", "parcels"):
            problems.append(
                Problem(
                    message=f"{kind}: none given; the audit needs the {kind} layer",
                    fix=f"pass it, read with xsland.read_layer(path, kind={kind!r})",
                )
            )
            out.append(None)
            continue
        if frame is None or is_validated(frame, kind):
            out.append(frame)
            continue
        layer = get_kind(kind).geometry is not None
        if not isinstance(frame, gpd.GeoDataFrame if layer else pd.DataFrame):
            problems.append(
                Problem(
                    message=f"{kind}: a {type(frame).__name__}, not a "
                    + ("GeoDataFrame" if layer else "DataFrame"),
                    fix=f"read it with xsland.read_{'layer' if layer else 'table'}"
                    f"(path, kind={kind!r})",
                )
            )
            out.append(None)
            continue
        try:
            if not isinstance(frame.columns, pd.MultiIndex):  # validation names those
                frame = rename_columns(frame, kind)[0]  # aliases (地块编号 …), as read_layer
            if layer:
                out.append(validate_layer(frame, kind, layer=kind, policy=policy))
            else:
                out.append(validate_table(frame, kind, file=f"{kind} table", policy=policy))
        except ValidationError as exc:
            problems.extend(exc.problems)
            out.append(None)
        except DataError as exc:  # two columns that could each be one contract column
            problems.append(Problem(message=str(exc), layer=kind))
            out.append(None)
    if problems:
        n = len(problems)
        raise ValidationError(
            problems,
            title=f"{n} problem{'s' if n > 1 else ''} in the frames given to the audit "
            "(validated as xsland.read_layer validates a file)",
        )
    return out


@contextmanager
def _named_input_errors(layers: Mapping[str, Any]) -> Iterator[None]:
    """Run the block; a :class:`shapely.errors.GEOSException` it raises (an invalid
    polygon meeting an overlay: "TopologyException: side location conflict") is raised
    as a :class:`~xsland.errors.ValidationError` naming the invalid geometries of
    ``layers`` — layer, rows, GEOS's reason — and the fix, or, when every geometry is
    valid, as a :class:`~xsland.errors.DataError` with GEOS's message.

    Validation repairs invalid polygons, so one found here was put in a frame after it
    was validated (its stamp, :func:`~xsland.read.validate.is_validated`, is kept when
    values change in place). Only a failure is examined: an invalid polygon that meets
    no overlay GEOS refuses is measured as it is (testing every polygon again would cost
    a run of a million parcels about a second).

    The same for text: a :class:`UnicodeEncodeError` (an unpaired surrogate put in a
    validated frame, which Arrow text cannot hold) is raised as a
    :class:`~xsland.errors.ValidationError` naming the layers, columns and rows holding
    one (:func:`xsland.result.unwritable_text`, which names NUL too); searching every ID
    column first would cost a run of a million parcels half a second.
    """
    try:
        yield
    except UnicodeEncodeError as exc:
        # (a geometry column is never searched: it is no text)
        problems = [
            p
            for kind, frame in layers.items()
            if isinstance(frame, pd.DataFrame)
            for p in unwritable_text(frame, kind)
        ]
        if problems:
            raise ValidationError(problems, title="text no output can hold") from exc
        raise
    except GEOSException as exc:
        problems = [p for kind, frame in layers.items() for p in _invalid_geometries(kind, frame)]
        if problems:
            raise ValidationError(
                problems, title="invalid geometries GEOS cannot compute with"
            ) from exc
        raise DataError(
            f"GEOS could not compute with the layers' geometries ({exc}). Fix: read them "
            "with xsland.read_layer (or validate them with xsland.read.validate."
            "validate_layer) after any change"
        ) from exc


def _invalid_geometries(kind: str, frame: Any) -> list[Problem]:
    """The invalid geometries of a layer, as one problem (none for a table or ``None``)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return []
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    bad = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_valid(geoms))
    if len(bad) == 0:
        return []
    id_col = get_kind(kind).id_column
    ids = (
        frame[id_col].to_numpy(dtype=object)[bad]
        if id_col in frame.columns
        else [f"#{i}" for i in bad]
    )
    reason = shapely.is_valid_reason(geoms[bad[0]])
    return [
        Problem(
            message=f"{len(bad)} invalid geometr{'y' if len(bad) == 1 else 'ies'} "
            f"(the first: {reason}), changed after the layer was validated",
            fix="validate the layer again after changing it: xsland.read.validate."
            "validate_layer (or read_layer) repairs invalid polygons and lists each one",
            layer=kind,
            column=str(frame.geometry.name),
            rows=tuple(str(i) for i in ids),
        )
    ]


def _bare(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A shallow copy without ``attrs``."""
    if frame is None:
        return None
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


_KINDS = ("parks", "parcels", "buildings", "plan", "enterprises", "indicators")


def _shared(layer: Any, other: Any) -> bool:
    """Whether ``other`` holds some of the very geometry objects of ``layer`` (a layer
    passed twice, or one made of the other by a shallow copy).

    :func:`xsland.measure.overlay.intersection_areas` prepares the geometries it tests
    against (a cache on each object) and frees them after; the audit runs it on two
    threads at once only for layers that share no object, so that no prepared geometry
    is freed by one thread while the other tests it.
    """
    if layer is None or other is None or not hasattr(other, "geometry"):
        return False
    small, large = sorted(
        (np.asarray(x.geometry.array, dtype=object) for x in (layer, other)), key=len
    )  # the object arrays themselves: no Python object built per row
    mine = set(map(id, small))
    return any(map(mine.__contains__, map(id, large)))


def source_files(inputs: Mapping[str, Any]) -> dict[str, str]:
    """``kind -> file`` each input (``kind -> frame or None``) was read from
    (``attrs["source"]`` of the readers); inputs without one are left out."""
    out = {}
    for kind, frame in inputs.items():
        source = (getattr(frame, "attrs", None) or {}).get("source") or {}
        if source.get("file"):
            out[kind] = str(source["file"])
    return out


def fill_files(quality: pd.DataFrame, files: Mapping[str, str]) -> pd.DataFrame:
    """The quality table with the file of each finding's layer where a check left it empty
    (``files``: layer → file, :func:`source_files`)."""
    if not len(quality) or not files or "file" not in quality.columns:
        return quality
    given = quality["file"].astype(object)
    empty = given.isna() | given.map(lambda v: not str(v).strip())
    out = quality.copy()
    out["file"] = given.where(~empty, quality["layer"].map(files))
    return out


def run(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    enterprises: pd.DataFrame | None = None,
    plan: gpd.GeoDataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    barriers: Any = None,
    landcover: Any = None,
    landcover_options: Mapping[str, Any] | None = None,
    policy: Policy = DEFAULT_POLICY,
    year: int | None = None,
    as_of: Any = None,
    client: Any = None,
    parcels_ready: Callable[[dict[str, pd.DataFrame]], Any] | None = None,
) -> AuditResult:
    """Run the park audit, the low-efficiency flags and the contiguous blocks.

    Parameters
    ----------
    parks, parcels, buildings, plan
        Layers with the contract's column names, best read with
        :func:`xsland.read.io.read_layer` (which also maps aliases such as ``地块编号``).
        A layer that is not the result of :func:`xsland.read.validate.validate_layer`
        for its kind, with the columns it had then (:func:`~xsland.read.validate.is_validated`:
        one made by other means, or given columns since), is read here first as
        ``read_layer`` reads a file: its columns named by the aliases, then validated,
        repaired where it can be (the repairs listed in the
        data-quality table), every problem of every input raised together otherwise.
    enterprises, indicators
        Tables, as the layers (:func:`xsland.read.io.read_table`,
        :func:`~xsland.read.validate.validate_table`).
    history
        Optional enterprise evaluation history (``enterprise_id``, ``year``,
        ``eval_class``) for "D two years running" (``policy.lowuse_class_years``);
        validated as the tables are (``read_table(path, kind="history")``), its repairs
        listed with theirs.
    barriers
        Optional layers (rivers, trunk roads) a block may not cross.
    landcover
        Optional land-cover raster (path or open dataset): parcels gain
        ``built_share`` / ``bare_share``, parks their land-cover breakdown
        (``lc_<class>``), and the ``built_but_bare`` rule can judge.
    landcover_options
        ``built_classes``, ``bare_classes``, ``class_names``, ``method``, ``band``.
    policy
        The rules; default SPEC §2.
    year
        Year of the park indicators to judge (default: the latest).
    as_of
        The date idle land is judged at (default: today).
    client
        A Dask ``distributed`` client (:func:`xsland.pipeline.engine.make_client`): floor areas
        and blocks are computed on spatial partitions and stitched; the results are
        identical to the single-process engine.
    parcels_ready
        Called once, as soon as the blocks are numbered, with the result's final
        ``parcels`` and ``block_members`` tables (typed as :class:`AuditResult` holds
        them; the result holds these very tables), on the caller's thread, before the
        block table and the roll-ups: a caller may start writing them in another
        process meanwhile (:func:`xsland.write.gpkg.gpkg_start`). They must not be
        changed; what it raises, the audit raises.

    Returns
    -------
    AuditResult
    """
    *inputs, history = _validated(
        [parks, parcels, buildings, plan, enterprises, indicators, history], policy=policy
    )
    # a geometry GEOS cannot compute with (one changed in place after validation:
    # values changed so are taken as they are) is named with its layer and rows
    with _named_input_errors(dict(zip(_KINDS, inputs, strict=True))):
        found = quality_frame(*inputs, history)
        files = source_files(dict(zip(_KINDS, inputs, strict=True)))
        # attrs (source, quality records) are deep-copied by every pandas operation;
        # work on shallow copies without them
        parks, parcels, buildings, plan, enterprises, indicators = (_bare(x) for x in inputs)
        history = _bare(history)
        # one spelling of every ID and town across the tables; names matched only after
        # normalisation are listed
        same, matched = harmonise(
            {
                "parks": parks,
                "parcels": parcels,
                "buildings": buildings,
                "enterprises": enterprises,
                "indicators": indicators,
                "history": history,
            }
        )
        parks, parcels, buildings = same["parks"], same["parcels"], same["buildings"]
        enterprises, indicators, history = same["enterprises"], same["indicators"], same["history"]
        found = quality_frame(found, matched)
        measured: list = []
        measures = None
        meets: list = []  # per building, it meets a parcel: measured once, checked below
        # the metric CRS, chosen once per run: every measure, block and check uses it, and the
        # result carries it (meta["crs"], AuditResult.metric_crs) to the writers
        crs = metric_crs(parcels)
        with step("measure", len(parcels), unit="parcels"):
            base = parcels.to_crs(crs)
            # the one park assignment (the audit's parks and the straddle check both read it),
            # on a second thread beside the floor areas: both are mostly GEOS, which releases
            # the GIL; neither prepares a geometry the other tests (see xsland._threads.later)
            # (not when a layer holds the parcels' very geometry objects: one thread would
            # prepare what the other tests)
            side = cpus() > 1 and not _shared(parcels, parks) and not _shared(parcels, plan)
            assigning = Later(
                park_assignment, (base.copy(deep=False), parks), {"crs": crs}, start=side
            )
            if client is not None:
                from xsland.pipeline.engine import plot_ratio_dask

                measures = plot_ratio_dask(base, buildings, policy=policy, client=client, crs=crs)
            else:
                measures = plot_ratio(base, buildings, policy=policy, crs=crs, meets=meets)
            where = assigning.result()
            parcel_out = parcel_table(
                parcels,
                parks,
                buildings,
                policy=policy,
                quality=measured,
                measures=measures,
                crs=crs,
                assignment=where,
            )
        # the cross-layer quality checks read only the layers, the park assignment and which
        # buildings meet a parcel: on a second thread beside the judging and the blocks
        checking = Later(
            parcel_checks,
            (parcels.copy(deep=False),),
            {
                "parks": parks.copy(deep=False),
                "buildings": None if buildings is None else buildings.copy(deep=False),
                "policy": policy,
                "crs": crs,
                "assignment": where,
                "buildings_meeting": meets[0] if meets else None,
            },
            start=side,
        )
        with step("park checks", len(parks), unit="park zones"):
            park_out = park_checks(
                parks,
                parcel_out,
                enterprises=enterprises,
                indicators=indicators,
                policy=policy,
                year=year,
                quality=measured,
                as_of=as_of,
            )
        parcel_out["town"] = parcel_towns(parcel_out, park_out)
        lc = dict(landcover_options or {})
        if landcover is not None:
            with step("land cover", len(parcel_out), unit="parcels"):
                shares = landcover_shares(
                    parcel_out,
                    landcover,
                    built_classes=tuple(lc.get("built_classes", (50,))),
                    bare_classes=tuple(lc.get("bare_classes", (60,))),
                    method=lc.get("method", "exact"),
                    band=int(lc.get("band", 1)),
                )
                parcel_out = parcel_out.join(shares)
                park_out = with_park_landcover(park_out, parks, landcover, options=lc)
        # the links between parcels (blocks) depend on the geometry alone: worked out for
        # every parcel on a second thread while the parcels are judged on one core (not
        # beside the park checks, which share the second core with the quality checks); the
        # blocks keep those between two low-efficiency parcels (no geometry of the parcels
        # is prepared meanwhile: the plan rule prepares the plan's, not shared)
        linking = (
            later(
                block_links,
                gpd.GeoSeries(parcel_out.geometry, copy=False),
                gap_m=policy.block_gap_m,
                barriers=barriers,
                crs=crs,
            )
            if side and client is None
            else None
        )
        with step("judge", len(parcel_out), unit="parcels"):
            # each enterprise's land, summed once: the flags' per-mu figures and the roll-ups
            # read it (the flags would sum it again, as per_mu of the parcels)
            lands = land_partials(parcel_out)
            per_enterprise = (
                per_mu(None, enterprises, policy=policy, land=land_combine([lands["mu"]]))
                if enterprises is not None
                else None
            )
            parcel_out, flags, status, notes = judge_parcels(
                parcel_out, park_out, enterprises=enterprises, plan=plan, history=history,
                as_of=as_of, policy=policy, quality=measured, per_enterprise=per_enterprise,
            )  # fmt: skip
        low = flags["low_efficiency"].to_numpy(dtype=bool)
        with step("blocks", int(low.sum()), unit="flagged parcels"):
            if client is not None:
                from xsland.pipeline.engine import find_blocks_dask

                ids = find_blocks_dask(
                    parcel_out[low],
                    gap_m=policy.block_gap_m,
                    barriers=barriers,
                    client=client,
                    crs=crs,
                )
                parcel_out["block_id"] = ids.reindex(parcel_out.index).astype(object)
            else:
                parcel_out["block_id"] = find_blocks(
                    parcel_out,
                    gap_m=policy.block_gap_m,
                    barriers=barriers,
                    mask=low,
                    crs=crs,
                    links=None if linking is None else linking.result(),
                )
        # the parcels are final: typed as the result holds them and handed out first, before
        # the block table and the roll-ups. What the caller starts with them (the GeoPackage's
        # worker, another process) then runs beside those, which hold Python's lock most of
        # the time and leave the other core idle; handed out beside them, on a thread of its
        # own, the same work waited for that lock and the worker started seconds later
        handed = None if parcels_ready is None else _hand_out(parcel_out, flags, parcels_ready)
        # the block table (its outlines are GEOS, on threads) on a second thread while the
        # roll-ups are worked out here: they read only each block's town, counted after
        tabling = later(
            block_table,
            parcel_out.copy(deep=False),
            parcel_out["block_id"],
            policy=policy,
            flags=flags,
            parks=park_out,
            crs=crs,
        )
        with step("roll-ups", len(parcel_out), unit="parcels"):
            park_out, towns, district, per_enterprise, evaluation = roll_ups(
                parcel_out, park_out, flags=flags, status=status, blocks=None,
                enterprises=enterprises, as_of=as_of, policy=policy, lands=lands,
                per_enterprise=per_enterprise,
            )  # fmt: skip
        with step("block table", int(low.sum()), unit="flagged parcels"):
            blocks = tabling.result()
            if handed is None:
                final = parcel_out
                members = block_members(parcel_out, parcel_out["block_id"], flags=flags)
            else:
                final, members = handed
        towns = with_block_counts(towns, blocks)
        with step("quality checks", len(parcels), unit="parcels"):
            cross = checking.result()
        quality = fill_files(quality_frame(found, measured, cross), files)
        zones = parks.to_crs(parcel_out.crs)
        return AuditResult(
            parks=park_out,
            parcels=final,
            towns=towns,
            district=district,
            quality=quality,
            rules=policy.table(),
            policy=policy,
            blocks=blocks,
            block_members=members,
            enterprises=per_enterprise,
            park_zones=zones,
            intensity=evaluation,
            meta={
                "crs": str(parcel_out.crs),  # = crs, the one metric CRS of the run
                "year": year,
                "as_of": str(pd.Timestamp(as_of).date()) if as_of is not None else "",
                "lowuse_notes": notes,
                "engine": "single" if client is None else "dask",
            },
        )


def _hand_out(
    parcels: gpd.GeoDataFrame, flags: pd.DataFrame, ready: Callable[[dict], Any]
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The final parcels and their block members, typed as :class:`AuditResult` holds
    them (:func:`xsland.result.conform`), handed to ``ready`` (``run(parcels_ready=)``)."""
    members = block_members(parcels, parcels["block_id"], flags=flags)
    final, members = conform(parcels, "parcels"), conform(members, "block_members")
    ready({"parcels": final, "block_members": members})
    return final, members


def roll_ups(
    parcel_out: pd.DataFrame,
    park_out: pd.DataFrame,
    *,
    flags: pd.DataFrame,
    status: pd.DataFrame,
    blocks: pd.DataFrame | None,
    enterprises: pd.DataFrame | None,
    as_of: Any,
    policy: Policy,
    lands: Mapping[str, pd.DataFrame] | None = None,
    per_enterprise: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Parks, towns and district from judged parcels: the one roll-up of every run.

    :func:`combine_roll_ups` of one :func:`roll_up_partial` of all the parcels; the
    audit of a partitioned dataset (:func:`xsland.pipeline.partitioned.audit_partitioned`)
    combines one partial per partition, so both add up alike, to the last bit.

    Parameters
    ----------
    parcel_out, park_out
        The judged parcels (one row each, with ``park_id`` and ``town``) and park checks.
    flags, status
        The low-efficiency flags and the 批供用 status of ``parcel_out``'s rows.
    blocks
        The blocks (for ``n_blocks`` per town: :func:`with_block_counts`); ``None``: the
        towns without ``n_blocks`` (the audit adds it when its block table is done).
    enterprises
        The enterprise table, or ``None`` (no 亩均 classes then).
    as_of, policy
        The date idle land is judged at, and the rules.
    lands
        :func:`land_partials` of ``parcel_out``, when the caller has them (the audit
        sums each enterprise's land once, for the flags and the roll-ups); default
        summed here.
    per_enterprise
        :func:`xsland.judge.lowuse.per_mu` of ``enterprises`` on that land, when the
        caller has it (the flags' table); default computed by :func:`~xsland.judge.mujun.mujun`.

    Returns
    -------
    tuple
        ``(parks, towns, district, per_enterprise, intensity)``: parks with their
        low-efficiency and supply figures merged in; towns with theirs and ``n_blocks``;
        the district checks; the 亩均 table (or ``None``); the 集约利用 evaluation.
    """
    if lands is None:
        lands = land_partials(parcel_out)
    part = roll_up_partial(
        parcel_out,
        flags=flags,
        status=status,
        enterprises=enterprises,
        land=intensity_land([lands["intensity"]]),
        as_of=as_of,
        policy=policy,
    )
    return combine_roll_ups(
        [part],
        park_out,
        blocks=blocks,
        enterprises=enterprises,
        land=land_combine([lands["mu"]]),
        ready="ready_for_supply" in parcel_out.columns,
        as_of=as_of,
        policy=policy,
        per_enterprise=per_enterprise,
    )


def land_partials(parcels: pd.DataFrame, *, rows: Any = None) -> dict[str, pd.DataFrame]:
    """Each enterprise's land on some of the parcels: ``"mu"`` for the 亩均 figures
    (:func:`xsland.judge.lowuse.land_partial`), ``"intensity"`` for the figures spread by
    area (:func:`xsland.judge.intensity.land_partial`)."""
    return {
        "mu": land_partial(parcels, rows=rows),
        "intensity": intensity_land_partial(parcels, rows=rows),
    }


def roll_up_partial(
    parcel_out: pd.DataFrame,
    *,
    flags: pd.DataFrame,
    status: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    land: pd.Series,
    as_of: Any,
    policy: Policy,
    rows: Any = None,
) -> dict[str, Any]:
    """The partial tables of every roll-up for some of the judged parcels (a partition):
    low-efficiency land and supply rates per park and per town, the town roll-up and
    the intensive-use evaluation. ``land`` is every enterprise's land (ha) on all
    parcels (:func:`xsland.judge.intensity.land_combine`). The parcels are grouped by
    park and by town once (:func:`xsland._sums.groups`), for every table."""
    park = sums.groups(parcel_out["park_id"].to_numpy(dtype=object))
    town = sums.groups(parcel_out["town"].to_numpy(dtype=object))
    return {
        "lowuse_park": summary_partial(parcel_out, flags, by="park_id", policy=policy, groups=park),
        "lowuse_town": summary_partial(parcel_out, flags, by="town", policy=policy, groups=town),
        "supply_park": supply_rates_partial(parcel_out, status, by="park_id", groups=park),
        "supply_town": supply_rates_partial(parcel_out, status, by="town", groups=town),
        "town": town_partial(parcel_out, rows=rows),
        "intensity": intensity_partial(
            parcel_out, enterprises, land=land, as_of=as_of, policy=policy, rows=rows, groups=park
        ),
    }


def combine_roll_ups(
    partials: list[dict[str, Any]],
    park_out: pd.DataFrame,
    *,
    blocks: pd.DataFrame | None,
    enterprises: pd.DataFrame | None,
    land: pd.DataFrame,
    ready: bool,
    as_of: Any,
    policy: Policy,
    per_enterprise: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """:func:`roll_ups` from the :func:`roll_up_partial` tables of disjoint sets of
    parcels; ``land`` is each enterprise's parcels and land on all of them
    (:func:`xsland.judge.lowuse.land_combine`), ``ready`` whether the parcels have
    ``ready_for_supply``; ``per_enterprise`` the per-mu table on that land, when the
    caller has it."""

    def parts(key: str) -> list:
        return [p[key] for p in partials]

    per_enterprise = (
        mujun(
            None, enterprises, as_of=as_of, policy=policy, land=land, per_enterprise=per_enterprise
        )
        if enterprises is not None
        else None
    )
    evaluation = intensity_combine(
        parts("intensity"), parks=park_out, enterprises=enterprises, ready=ready, policy=policy
    )
    by_park = summary_combine(parts("lowuse_park"), by="park_id")
    park_out = park_out.merge(
        by_park.drop(columns=["n_parcels", "area_mu"]), on="park_id", how="left"
    )
    park_out = park_out.merge(
        supply_rates_combine(parts("supply_park"), by="park_id"), on="park_id", how="left"
    )
    towns = town_rollup_combine(park_out, parts("town"))
    by_town = summary_combine(parts("lowuse_town"), by="town")[
        ["town", "n_low_efficiency", "low_efficiency_mu", "low_efficiency_share", "idle_mu"]
    ]
    towns = towns.merge(by_town, on="town", how="left")
    towns = towns.merge(
        supply_rates_combine(parts("supply_town"), by="town"), on="town", how="left"
    )
    if blocks is not None:
        towns = with_block_counts(towns, blocks)
    return park_out, towns, district_checks(park_out, policy=policy), per_enterprise, evaluation


def with_block_counts(towns: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """The town table with ``n_blocks``: the blocks (:func:`xsland.group.blocks.block_table`)
    whose ``town`` is the town's, 0 for a town without any."""
    n_blocks = blocks.groupby("town").size() if len(blocks) else pd.Series(dtype=int)
    out = towns.copy()
    out["n_blocks"] = out["town"].map(n_blocks).fillna(0).astype(int)
    return out


def parcel_towns(parcels: pd.DataFrame, parks: pd.DataFrame) -> pd.Series:
    """The town of every parcel: its own ``town`` where it has one, else its park's.

    Parameters
    ----------
    parcels
        Parcels with ``park_id`` and optionally ``town``.
    parks
        Park checks with ``park_id`` and ``town``.

    Returns
    -------
    pandas.Series
        Indexed like ``parcels``; missing where neither is known.
    """
    park_town = parks.drop_duplicates("park_id").set_index("park_id")["town"]
    own = (
        parcels["town"]
        if "town" in parcels.columns
        else pd.Series(None, index=parcels.index, dtype=object)
    )
    return own.where(own.notna(), parcels["park_id"].map(park_town))


def judge_parcels(
    parcel_out: pd.DataFrame,
    park_out: pd.DataFrame,
    *,
    enterprises: pd.DataFrame | None,
    plan: Any,
    history: Any,
    as_of: Any,
    policy: Policy,
    quality: list,
    per_enterprise: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Low-efficiency flags and 批供用 status joined to the measured parcels.

    The one judging step of the in-memory and the partitioned audit
    (:func:`xsland.judge.lowuse.flag`, :func:`xsland.judge.supply.supply_status`); the
    partitioned audit runs it in each partition's task, with ``per_enterprise``
    (:func:`xsland.judge.lowuse.per_mu` of all the parcels) broadcast to every task.

    Returns
    -------
    tuple
        ``(parcels, flags, status, notes)``: the parcels with the flag and status
        columns (existing columns are kept, never replaced), the flags and status tables,
        and the notes of the flags. The flags' findings are appended to ``quality``.
    """
    flags = flag(
        parcel_out,
        parks=park_out,
        enterprises=enterprises,
        plan=plan,
        history=history,
        as_of=as_of,
        policy=policy,
        per_enterprise=per_enterprise,
    )
    notes = list(flags.attrs.get("notes", []))
    quality.extend(flags.attrs.get("quality", []))
    flags.attrs = {}
    parcel_out = parcel_out.join(flags.drop(columns=[c for c in flags if c in parcel_out]))
    status = supply_status(parcel_out, as_of=as_of, policy=policy)
    return parcel_out.join(status), flags, status, notes


def with_park_landcover(
    park_out: pd.DataFrame, parks: Any, landcover: Any, *, options: Mapping[str, Any]
) -> pd.DataFrame:
    """Park checks with the land-cover shares of each park as ``lc_<class>`` columns.

    ``options`` are the project's land-cover options (``class_names``, ``method``,
    ``band``; defaults WorldCover classes, exact cover, band 1).
    """
    breakdown = park_landcover(
        parks,
        landcover,
        class_names=options.get("class_names") or WORLDCOVER_CLASSES,
        method=options.get("method", "exact"),
        band=int(options.get("band", 1)),
    )
    return park_out.merge(
        breakdown.add_prefix("lc_"), left_on="park_id", right_index=True, how="left"
    )
