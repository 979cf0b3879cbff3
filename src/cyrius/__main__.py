"""`python -m cyrius`: the same command line as the `cyrius` script."""
import sys

from .cli import main

sys.exit(main())
