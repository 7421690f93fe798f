"""The audit report for leadership: one self-contained HTML file with charts, in Chinese.

:func:`build_report` turns an :class:`~xsland.result.AuditResult` into one HTML page;
:func:`write_report` writes it atomically. ``xsland report DIR`` rebuilds ``report.html``
from a finished audit read with :meth:`~xsland.result.AuditResult.read`.

**Contents**, one section per printed page (or more):

1. 概览 summary — headline figures, the count of pass / fail / unknown per rule (chart)
   and, per rule, the parks that fail or lack data;
2. 达标记分卡 scorecard — parks as rows, every park rule of SPEC §2 as columns, each cell
   the status as colour *and* symbol (✔ ✘ ? –, readable in black-and-white print) with the
   measured value; a last row for the district-wide rule (innovation platforms);
3. 2027 目标进度 targets — leading-industry shares, chain leaders and innovation
   platforms as bars against the target line;
4. 容积率分布 FAR — every industrial parcel's FAR per park against the minima
   (1.5 / 2.0 / 2.5 by default) and the low-efficiency threshold;
5. 低效用地 low-efficiency land — 亩 by town, by the three kinds of clause 二(一)3 and by
   "only this kind", and by reason (when the parcels carry
   ``low_efficiency``; otherwise the section says it was not computed in this run);
6. 连片地块 contiguous blocks — the ten largest, each with a small static map (block
   outline over its parcels), area, route and reasons (when blocks are given);
7. 数据质量 data quality — counts by problem (chart) and the first rows of each;
8. 规则与输入 rules and inputs — every rule with its value, unit and source, the
   district-wide check and the run's inputs (files, feature counts, CRS, date).

**Self-contained.** Charts are drawn with matplotlib (no pyplot, no GUI backend) and
embedded as ``data:`` URIs (SVG by default, text drawn as glyph outlines, so the page
needs no font for them; or PNG). The page loads nothing: no script, style sheet, font or
image comes from the network. A small inline script (``report.js``) only toggles the
English glosses; the style sheet is ``report.css``.

**Chinese text in charts** is drawn with a CJK font found by :func:`find_cjk_font`
(Debian's ``fonts-noto-cjk``: *Noto Sans CJK SC* first). Without one, a
:class:`NoCJKFontWarning` is issued and charts use Latin labels — park IDs, reason codes,
or short codes (T1, T2 …) explained in the caption — never boxes (豆腐块).

**Print.** ``@page`` A4 portrait (the scorecard on an A4 landscape page), every section
starting a new page, figures, cards and table rows never split, table heads repeated, and
colours printed as shown (``print-color-adjust: exact``).

**Language.** ``lang="zh-en"`` (default) shows Chinese with English glosses that a button
hides on screen; ``lang="zh"`` (``xsland report DIR --lang zh``) prints Chinese only.
Data-quality details are shown in Chinese (:func:`quality_detail_zh`, by issue code).

**Layout of the package.** :mod:`~xsland.write.htmlreport.sections` builds one context per
section (plain data: text, numbers, images); :mod:`~xsland.write.htmlreport.charts` draws
the charts (matplotlib ``Figure`` + Agg → ``data:`` URIs);
:mod:`~xsland.write.htmlreport.page` renders the Jinja2 templates
(``xsland/write/templates/report_*.html.j2``, shared pieces in ``_macros.html.j2``) and
writes the file; :mod:`~xsland.write.htmlreport.common` reads the audit's tables and
:mod:`~xsland.write.htmlreport.quality_zh` gives the data-quality findings in Chinese.

**Markup** lives in the templates only, rendered with autoescaping: every text from the
data is escaped by default, and no Python string of the package holds an HTML tag
(``tests/test_htmlreport_markup.py``).
"""

from xsland.write.htmlreport import charts, common, page, quality_zh, sections
from xsland.write.htmlreport.charts import (
    CJK_FONT_PREFERENCES,
    NoCJKFontWarning,
    find_cjk_font,
)
from xsland.write.htmlreport.common import DEFAULT_TITLE, LANGUAGES, REPORT_NAME
from xsland.write.htmlreport.page import build_report, existing_maps, write_report
from xsland.write.htmlreport.quality_zh import (
    QUALITY_DETAIL_ZH,
    quality_detail_zh,
    quality_title_zh,
)

#: Another name of :func:`write_report`.
write_html_report = write_report

__all__ = [
    "CJK_FONT_PREFERENCES",
    "DEFAULT_TITLE",
    "LANGUAGES",
    "QUALITY_DETAIL_ZH",
    "REPORT_NAME",
    "NoCJKFontWarning",
    "build_report",
    "charts",
    "common",
    "existing_maps",
    "find_cjk_font",
    "page",
    "quality_detail_zh",
    "quality_title_zh",
    "quality_zh",
    "sections",
    "write_html_report",
    "write_report",
]
