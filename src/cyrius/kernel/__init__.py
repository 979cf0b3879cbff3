"""The Cyrius kernel, written in the dialect (docs/dialect.md).

Importing this package under CPython switches its modules to host mode, so kernel logic runs in
pytest with the same integer semantics as the compiled kernel.
"""
from cyrius.lang import install_host_mode

install_host_mode(__name__)
