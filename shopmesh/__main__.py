"""`python -m shopmesh` is the `shopmesh` console script."""

import sys

from shopmesh.cli.main import main

sys.exit(main())
