"""The code-generation benchmark's algorithms in the Cyrius dialect (docs/dialect.md): one module per
algorithm, each with a `bench` function that runs it `reps` times inside compiled code. The hand-written C
twins are bench/c/*.c; bench/bench_codegen.py compiles both with the same gcc flags and times them."""
from cyrius.lang import install_host_mode

install_host_mode(__name__)  # under CPython, values entering typed slots take the slot's type
