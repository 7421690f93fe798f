"""Tools beside the library: the Xishan sample, the demo and the docs generator."""

__all__: list[str] = []
