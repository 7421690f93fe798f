"""The data contract: layers, their columns, and the aliases real data uses.

SPEC §1 lists, for each kind of input, the columns xsland needs and the ones
it can use. Real files name them in many ways — English, pinyin, Chinese, in
any case — so every contract column has a list of aliases. Matching is
case-insensitive and ignores spaces, ``_`` and ``-``; a user's own mapping
(``columns={"my name": "parcel_id"}``) wins over the aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "KINDS",
    "VECTOR_KINDS",
    "TABLE_KINDS",
    "Kind",
    "get_kind",
    "normalise_name",
    "SHAPEFILE_NAME_BYTES",
    "shapefile_truncations",
    "truncated_candidates",
]


@dataclass(frozen=True)
class Kind:
    """One kind of input layer of the data contract.

    Attributes
    ----------
    name
        ``parks``, ``parcels``, ``buildings``, ``plan``, ``enterprises`` or
        ``indicators``.
    geometry
        ``"polygon"`` for polygon layers, ``None`` for tables.
    required
        Columns that must be present. A tuple inside the tuple means "at least
        one of these" (buildings need ``floors`` or ``height``).
    optional
        Columns used when present.
    id_column
        The column that must be unique (``None`` when rows have no single ID).
    aliases
        ``column -> names it may have in a file``.
    """

    name: str
    label: str
    geometry: str | None
    required: tuple[str | tuple[str, ...], ...]
    optional: tuple[str, ...]
    id_column: str | None
    aliases: MappingProxyType

    @property
    def columns(self) -> tuple[str, ...]:
        out: list[str] = []
        for item in self.required:
            out.extend(item if isinstance(item, tuple) else (item,))
        out.extend(self.optional)
        return tuple(out)


def normalise_name(name: str) -> str:
    """The form in which column names are compared.

    Lower case, full-width characters folded, and spaces, ``_``, ``-``, ``.``
    and brackets removed: ``"Parcel ID"``, ``"parcel_id"`` and ``"PARCEL-ID"``
    compare equal, as do ``"建筑面积(m²)"`` and ``"建筑面积"`` once the unit in
    brackets is dropped.
    """
    import unicodedata

    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"[(\[（【].*?[)\]）】]$", "", text)  # a trailing unit: 面积(m2)
    return re.sub(r"[\s_\-.:/]+", "", text)


#: Longest field name of the dBASE table of a Shapefile, in bytes.
SHAPEFILE_NAME_BYTES = 10


def shapefile_truncations(name: str) -> tuple[str, ...]:
    """The forms a Shapefile writer may cut ``name`` to (10 bytes of the field name).

    ASCII names are cut to 10 characters (``supply_date`` → ``supply_dat``); other
    names to the whole characters of their first 10 bytes in UTF-8 and in GBK
    (``约定动工日期`` → ``约定动`` in UTF-8, ``约定动工日`` in GBK). Empty when the
    name fits.

    >>> shapefile_truncations("enterprise_id")
    ('enterprise',)
    """
    out: list[str] = []
    for encoding in ("utf-8", "gbk"):
        try:
            raw = name.encode(encoding)
        except UnicodeEncodeError:
            continue
        if len(raw) > SHAPEFILE_NAME_BYTES:
            cut = raw[:SHAPEFILE_NAME_BYTES].decode(encoding, errors="ignore")
            if cut and cut not in out:
                out.append(cut)
    return tuple(out)


def _with_truncations(aliases: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Aliases plus their Shapefile truncations, derived from the contract.

    A truncated form is added only when it points to one contract column and is not
    already a full alias of another (``用地类`` could be 用地类型 or 用地类别: left out,
    and listed by :func:`truncated_candidates` when met).
    """
    full = {normalise_name(a): col for col, names in aliases.items() for a in (col, *names)}
    owners: dict[str, set[str]] = {}
    for col, names in aliases.items():
        for a in (col, *names):
            for cut in shapefile_truncations(a):
                owners.setdefault(normalise_name(cut), set()).add(col)
    out = {}
    for col, names in aliases.items():
        extra = []
        for a in (col, *names):
            for cut in shapefile_truncations(a):
                key = normalise_name(cut)
                if owners[key] == {col} and full.get(key, col) == col and cut not in extra:
                    extra.append(cut)
        out[col] = tuple(dict.fromkeys((*names, *extra)))
    return out


def _kind(name, label, geometry, required, optional, id_column, aliases) -> Kind:
    aliases = {k: list(v) for k, v in aliases.items()}
    return Kind(
        name=name,
        label=label,
        geometry=geometry,
        required=tuple(required),
        optional=tuple(optional),
        id_column=id_column,
        aliases=MappingProxyType(
            _with_truncations(aliases) if geometry else {k: tuple(v) for k, v in aliases.items()}
        ),
    )


def truncated_candidates(columns: Iterable[str], kind: str) -> dict[str, list[str]]:
    """Columns that look like a contract name cut short by the Shapefile format.

    A column is a candidate for a contract column when it equals a Shapefile
    truncation (:func:`shapefile_truncations`) of that column or of one of its
    aliases, or — with GDAL's ``_1``, ``_2`` … suffix for names that clashed once
    cut — when such a truncation starts with what precedes the suffix (at least 6
    characters).

    Returns
    -------
    dict
        ``file column -> contract columns it could be`` (only columns with candidates).
    """
    spec = get_kind(kind)
    cuts = [
        (normalise_name(cut), col)
        for col in spec.columns
        for a in (col, *spec.aliases[col])
        for cut in shapefile_truncations(a)
    ]
    out: dict[str, list[str]] = {}
    for column in columns:
        text = str(column)
        norm = normalise_name(text)
        hits = [col for cut, col in cuts if cut == norm]
        suffixed = re.fullmatch(r"(.{6,})_\d+", text)
        if not hits and suffixed:
            stem = normalise_name(suffixed.group(1))
            hits = [col for cut, col in cuts if cut.startswith(stem)]
        if hits:
            out[text] = list(dict.fromkeys(hits))
    return out


# Aliases shared by several kinds.
_PARK_ID = ["park_id", "parkid", "park_code", "yq_id", "yqbh", "园区编号", "园区代码", "园区id"]
_TOWN = [
    "town",
    "street",
    "township",
    "zj",
    "szzj",
    "所属镇街",
    "所属镇(街道)",
    "镇街",
    "镇街道",
    "所属镇街道",
    "镇(街道)",
    "所在镇街",
    "街道",
    "乡镇",
    "所属镇",
]
_ENT_ID = [
    "enterprise_id",
    "ent_id",
    "company_id",
    "firm_id",
    "qyid",
    "tyshxydm",
    "uscc",
    "credit_code",
    "企业编号",
    "企业id",
    "企业代码",
    "统一社会信用代码",
    "信用代码",
]

PARKS = _kind(
    "parks",
    "园区",
    "polygon",
    required=["park_id", "name"],
    optional=["town", "park_type", "leading_industry", "related_industries", "zone"],
    id_column=None,  # a park may have several features (core and expansion zones)
    aliases={
        "park_id": _PARK_ID,
        "name": ["name", "park_name", "yqmc", "园区名称", "园区名", "名称"],
        "town": _TOWN,
        "park_type": ["park_type", "type", "yqlx", "园区类型", "类型"],
        "leading_industry": ["leading_industry", "industry", "zdcy", "主导产业", "产业定位"],
        "related_industries": [
            "related_industries",
            "related_industry",
            "related",
            "xgcy",
            "相关产业",
            "配套产业",
            "关联产业",
            "相关配套产业",
            "相关及配套产业",
        ],
        "zone": ["zone", "zone_type", "fq", "功能分区", "分区", "区块"],
    },
)

PARCELS = _kind(
    "parcels",
    "地块",
    "polygon",
    required=["parcel_id"],
    optional=[
        "land_use",
        "category",
        "floor_area",
        "declared_far",
        "declared_area",
        "enterprise_id",
        "owner",
        "supply_date",
        "start_deadline",
        "town",
        "approval_date",
        "start_actual",
        "completion_date",
        "ready_for_supply",
    ],
    id_column="parcel_id",
    aliases={
        "parcel_id": [
            "parcel_id",
            "parcelid",
            "dkbh",
            "zdbh",
            "zddm",
            "bsm",
            "地块编号",
            "地块编码",
            "地块代码",
            "宗地编号",
            "宗地代码",
            "地块号",
            "宗地号",
        ],
        "land_use": [
            "land_use",
            "landuse",
            "use_code",
            "dlbm",
            "ydxz",
            "tdyt",
            "用地性质",
            "用地分类",
            "用地类型",
            "地类编码",
            "地类代码",
            "土地用途",
            "用途代码",
        ],
        "category": ["category", "policy_category", "ydlb", "政策类别", "用地类别"],
        "floor_area": ["floor_area", "gfa", "building_area", "jzmj", "建筑面积", "总建筑面积"],
        "declared_far": ["declared_far", "far", "plot_ratio", "rjl", "容积率"],
        "declared_area": [
            "declared_area",
            "land_area",
            "site_area",
            "ydmj",
            "zdmj",
            "用地面积",
            "地块面积",
            "宗地面积",
            "土地面积",
        ],
        "enterprise_id": _ENT_ID,
        "owner": [
            "owner",
            "right_holder",
            "qlr",
            "权利人",
            "权利人名称",
            "使用权人",
            "土地使用权人",
            "企业名称",
            "单位名称",
        ],
        "supply_date": ["supply_date", "gdrq", "供地日期", "供地时间", "出让日期", "划拨日期"],
        "start_deadline": [
            "start_deadline",
            "start_date",
            "dgrq",
            "约定动工日期",
            "约定开工日期",
            "动工期限",
            "开工期限",
        ],
        "town": _TOWN,
        "approval_date": [
            "approval_date",
            "pzrq",
            "批准日期",
            "批准时间",
            "农转用批准日期",
            "征收批准日期",
            "用地批准日期",
        ],
        "start_actual": ["start_actual", "sjkgrq", "实际开工日期", "实际动工日期", "开工日期"],
        "completion_date": [
            "completion_date",
            "jgrq",
            "竣工日期",
            "竣工时间",
            "竣工验收日期",
            "实际竣工日期",
        ],
        "ready_for_supply": [
            "ready_for_supply",
            "ready",
            "已达供地条件",
            "具备供地条件",
            "达到供地条件",
        ],
    },
)

BUILDINGS = _kind(
    "buildings",
    "建筑",
    "polygon",
    required=[("floors", "height")],
    optional=["building_id", "storey_height", "floor_area", "use"],
    id_column="building_id",
    aliases={
        "building_id": [
            "building_id",
            "bldg_id",
            "jzbh",
            "jzwbh",
            "建筑编号",
            "建筑物编号",
            "房屋编号",
            "楼栋编号",
        ],
        "floors": [
            "floors",
            "storeys",
            "stories",
            "levels",
            "floor_count",
            "cs",
            "jzcs",
            "层数",
            "建筑层数",
            "地上层数",
            "楼层数",
        ],
        "height": ["height", "bldg_height", "jzgd", "建筑高度", "高度"],
        "storey_height": ["storey_height", "story_height", "floor_height", "cg", "层高"],
        "floor_area": ["floor_area", "gfa", "building_area", "jzmj", "建筑面积"],
        "use": ["use", "building_use", "jzyt", "建筑用途", "房屋用途", "用途"],
    },
)

PLAN = _kind(
    "plan",
    "规划用地",
    "polygon",
    required=["planned_use"],
    optional=[],
    id_column=None,
    aliases={
        "planned_use": [
            "planned_use",
            "plan_use",
            "ghyd",
            "ghdl",
            "规划用地性质",
            "规划用途",
            "规划地类",
            "规划用地",
            "用地性质",
            "用地分类",
        ],
    },
)

ENTERPRISES = _kind(
    "enterprises",
    "企业",
    None,
    required=["enterprise_id"],
    optional=[
        "name",
        "industry",
        "revenue",
        "tax",
        "eval_class",
        "chain_leader",
        "investment",
        "energy",
        "rd_spend",
        "founded",
        "exempt",
        "high_tech",
        "violation",
    ],
    id_column="enterprise_id",
    aliases={
        "enterprise_id": _ENT_ID,
        "name": ["name", "enterprise_name", "company", "qymc", "企业名称", "单位名称", "名称"],
        "industry": ["industry", "sector", "sshy", "所属行业", "行业", "所属产业", "产业"],
        "revenue": ["revenue", "sales", "yysr", "营收", "营业收入", "销售收入", "主营业务收入"],
        "tax": ["tax", "taxes", "ss", "税收", "税收总额", "实缴税金", "纳税总额"],
        "eval_class": [
            "eval_class",
            "class",
            "grade",
            "pjdj",
            "评价等级",
            "亩均效益评价",
            "综合评价类别",
            "评价类别",
            "分类",
        ],
        "chain_leader": ["chain_leader", "is_chain_leader", "lz", "链主", "是否链主", "链主企业"],
        "investment": [
            "investment",
            "fixed_investment",
            "gdzctz",
            "固定资产投资",
            "固定资产投资额",
            "累计固定资产投资",
            "固定资产投入",
        ],
        "energy": ["energy", "energy_tce", "nh", "综合能耗", "能耗", "能源消费量"],
        "rd_spend": ["rd_spend", "rd", "yfjf", "研发经费", "研发投入", "研发经费支出"],
        "founded": ["founded", "start_year", "clrq", "成立日期", "投产日期", "注册日期"],
        "exempt": ["exempt", "t_class", "mp", "暂不评价", "免评", "是否免评"],
        "high_tech": ["high_tech", "gxjs", "高新技术企业", "是否高新技术企业", "高企"],
        "violation": ["violation", "wg", "违规记录", "违法违规", "失信记录"],
    },
)

INDICATORS = _kind(
    "indicators",
    "园区指标",
    None,
    required=["park_id", "year"],
    optional=["promotion_events", "innovation_platforms", "industry_fund_wan"],
    id_column=None,
    aliases={
        "park_id": _PARK_ID,
        "year": ["year", "nd", "年度", "年份"],
        "promotion_events": [
            "promotion_events",
            "events",
            "zshd",
            "招商活动场次",
            "招商活动",
            "招商活动数",
        ],
        "innovation_platforms": [
            "innovation_platforms",
            "platforms",
            "cxpt",
            "省级以上创新平台",
            "创新平台",
            "创新平台数",
        ],
        "industry_fund_wan": [
            "industry_fund_wan",
            "industry_fund",
            "fund",
            "cyjj",
            "产业基金规模",
            "产业基金",
            "基金规模",
        ],
    },
)

HISTORY = _kind(
    "history",
    "企业评价历史",
    None,
    required=["enterprise_id", "year", "eval_class"],
    optional=[],
    id_column=None,
    aliases={
        "enterprise_id": _ENT_ID,
        "year": ["year", "eval_year", "pjnd", "评价年度", "年度", "年份"],
        "eval_class": [
            "eval_class",
            "class",
            "grade",
            "pjdj",
            "评价等级",
            "亩均效益评价",
            "综合评价类别",
            "评价类别",
            "分类",
        ],
    },
)

KINDS: MappingProxyType = MappingProxyType(
    {k.name: k for k in (PARKS, PARCELS, BUILDINGS, PLAN, ENTERPRISES, INDICATORS, HISTORY)}
)
VECTOR_KINDS = tuple(k for k, v in KINDS.items() if v.geometry)
TABLE_KINDS = tuple(k for k, v in KINDS.items() if not v.geometry)


def get_kind(name: str) -> Kind:
    """The :class:`Kind` called ``name``; a clear error for any other name."""
    from xsland.errors import DataError

    try:
        return KINDS[name]
    except KeyError:
        raise DataError(f"unknown kind of layer {name!r}; use one of {', '.join(KINDS)}") from None
