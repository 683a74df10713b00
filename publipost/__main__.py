"""`python -m publipost` is the `publipost` command."""

import sys

from publipost.cli import main

sys.exit(main())
