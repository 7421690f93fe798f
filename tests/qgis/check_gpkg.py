"""Open an audit.gpkg in a real, headless QGIS and print what a planner will see.

Not collected by pytest (QGIS is a system package, not a dependency). Run with Debian's
QGIS (``apt-get install python3-qgis``; QGIS 3.22 on GDAL 3.6) and the system Python::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_gpkg.py OUT/audit.gpkg

It prints, per styled layer, the default style QGIS loaded from ``layer_styles``
(renderer, categories with colours and legend words, labels), the Chinese aliases of a
few fields and their types, and how many parcels the filter ``"far_ok" = false`` finds.
It exits 1 when a layer is invalid, a style or an alias is missing, or the filter fails.
"""

import sys

from qgis.core import QgsApplication, QgsExpression, QgsFeatureRequest, QgsVectorLayer

FIELDS = ("far_ok", "low_efficiency", "area_mu", "chk_far_new", "block_id", "zone")


def main(gpkg: str) -> int:
    app = QgsApplication([], False)
    app.initQgis()
    problems = []
    for name in ("parcels", "blocks", "parks", "park_zones"):
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        if not layer.isValid():
            problems.append(f"{name}: not valid")
            continue
        renderer = layer.renderer()
        print(f"## {name}: {layer.featureCount()} features, renderer {renderer.type()}")
        if renderer.type() == "categorizedSymbol":
            cats = [
                (c.value(), c.label(), c.symbol().color().name()) for c in renderer.categories()
            ]
            print("   categories", cats)
        elif name in ("parcels", "park_zones"):
            problems.append(f"{name}: default style not loaded")
        print("   labels", layer.labelsEnabled())
        fields = layer.fields()
        for field in FIELDS:
            i = fields.indexOf(field)
            if i < 0:
                continue
            alias = layer.attributeAlias(i)
            print(f"   {field}: alias {alias!r}, type {fields[i].typeName()}")
            if not alias:
                problems.append(f"{name}.{field}: no alias")
        if name == "parcels":
            request = QgsFeatureRequest(QgsExpression('"far_ok" = false'))
            n = sum(1 for _ in layer.getFeatures(request))
            print(f'   "far_ok" = false finds {n} parcels')
            if n == 0:
                problems.append('parcels: "far_ok" = false finds nothing')
    app.exitQgis()
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
