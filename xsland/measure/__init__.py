"""Measure: areas, floor area, plot ratio, coverage, raster statistics, data quality."""

__all__: list[str] = []
