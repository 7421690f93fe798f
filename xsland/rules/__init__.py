"""Rules: every threshold with its unit and source, the project file, the input contract."""

__all__: list[str] = []
