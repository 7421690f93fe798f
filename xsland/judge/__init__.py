"""Judge: the park checks and the low-efficiency flags."""

__all__: list[str] = []
