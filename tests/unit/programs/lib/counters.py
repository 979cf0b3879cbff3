"""A second library module, imported relative to the package."""
from cyrius.lang import u32

from . import shapes


def calls_seen() -> u32:
    return shapes.calls
