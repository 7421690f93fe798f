"""Write: GeoPackage, Excel, summary, maps, the HTML report and the diff."""

__all__: list[str] = []
