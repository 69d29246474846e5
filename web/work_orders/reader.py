"""The work-order import's reading process: ``python -m web.work_orders.reader FD``.

Started by the importer (``web.work_orders.checks.checked_in_background``) with its end of a socket
pair as file descriptor ``FD``; it is told the file and how to chunk it, says it is ready, then
sends the loaded chunks from where the importer says. A module of its own, run as ``__main__``,
so that what it sends names its classes by their modules (``web.work_orders.checks``), and so that
it loads only what reading needs.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from web.work_orders.checks import send_chunks


def main(argv: list[str]) -> int:
    with Connection(int(argv[0])) as there:
        send_chunks(there)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
