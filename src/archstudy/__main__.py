"""`python -m archstudy`: the same command as `archstudy`."""

import sys

from archstudy.cli import main

sys.exit(main())
