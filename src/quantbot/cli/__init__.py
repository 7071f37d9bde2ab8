"""The ``quantbot`` command line: one module per command group.

Commands parse their options, call one lower-layer function and render its result.
"""

__all__: list[str] = []
