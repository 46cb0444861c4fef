"""EXPORT_SYSTEM -> SYSTEM_BUNDLE: a system's accepted answers as one deployable, cross-checked tree."""

__all__ = ["plan"]


def __getattr__(name: str):
    # Imported on first use, like the other command packages (see planners.setup).
    if name in __all__:
        from planners.export import planner

        return getattr(planner, name)
    raise AttributeError(name)
