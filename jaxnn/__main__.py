"""``python -m jaxnn``: the same as the ``jaxnn`` command."""

import sys

from jaxnn._cli import main

if __name__ == "__main__":
    sys.exit(main())
