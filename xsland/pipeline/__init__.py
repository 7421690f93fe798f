"""Pipeline: the whole run, from a project file or layers to every output."""

__all__: list[str] = []
