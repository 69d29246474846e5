"""``python -m web.cli …``: the command line, as the ``caseledger`` script runs it."""

import sys

from web.cli.main import main

sys.exit(main())
