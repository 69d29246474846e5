"""The operators' command line: ``caseledger …``."""

from __future__ import annotations

import argparse
import sys

from web.bootstrap import Settings, bootstrap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseledger", description="Event-sourced case ledger for appeals and approvals")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web service under gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    commands.add_parser("profiles", help="list the policy profiles on offer")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.host, args.port, args.workers)
    container = bootstrap(Settings.from_env())
    for pid in container.profiles.ids():
        p = container.profiles.get(pid)
        print(f"{p.id}\tv{p.version}\t{p.source}\t{p.title}")
    return 0


def _serve(host: str, port: int, workers: int) -> int:
    from gunicorn.app.base import BaseApplication

    from web.app import create_app

    settings = Settings.from_env()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app(settings=settings)

    Server().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
