"""The operators' command line: ``caseledger …``.

Every change made here is recorded with the operator as actor
(``cli:<login name>``), so grants of roles and units are auditable.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from domain.actors import Actor, Role
from domain.errors import DomainError
from web.bootstrap import Settings, bootstrap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseledger", description="Event-sourced case ledger for appeals and approvals")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web service under gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    commands.add_parser("profiles", help="list the policy profiles on offer")

    unit = commands.add_parser("unit", help="handling units").add_subparsers(dest="action", required=True)
    add = unit.add_parser("add", help="register a unit")
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--parent")
    unit.add_parser("list", help="list units")
    off = unit.add_parser("disable", help="disable a unit")
    off.add_argument("code")
    off.add_argument("--reason")

    user = commands.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--unit")
    user.add_parser("list", help="list users")
    for action, text in (("disable", "disable a user"), ("enable", "enable a user"),
                         ("passwd", "set a password, read from standard input"),
                         ("revoke-tokens", "revoke every token the user holds")):
        one = user.add_parser(action, help=text)
        one.add_argument("name")
        if action == "disable":
            one.add_argument("--reason")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.host, args.port, args.workers)
    container = bootstrap(Settings.from_env())
    try:
        return _run(args, container)
    except DomainError as exc:
        fields = getattr(exc, "fields", None)
        print(f"caseledger: {exc.message}" if not fields else
              "caseledger: " + "; ".join(f"{k}: {v}" for k, v in fields.items()), file=sys.stderr)
        return 1
    finally:
        container.close()


def _run(args: argparse.Namespace, c) -> int:
    operator = Actor(f"cli:{getpass.getuser()}", Role.ADMIN)
    if args.command == "profiles":
        for pid in c.profiles.ids():
            p = c.profiles.get(pid)
            print(f"{p.id}\tv{p.version}\t{p.source}\t{p.title}")
    elif args.command == "unit" and args.action == "add":
        u = c.directory.add_unit(operator, args.code, args.name, args.parent)
        print(f"unit {u.code} added")
    elif args.command == "unit" and args.action == "list":
        for u in sorted(c.directory.units(), key=lambda u: u.code):
            print(f"{u.code}\t{u.name}\t{u.parent or '-'}\t{'active' if u.active else 'disabled'}")
    elif args.command == "unit" and args.action == "disable":
        c.directory.disable_unit(operator, args.code, args.reason)
        print(f"unit {args.code} disabled")
    elif args.action == "add":
        u = c.directory.add_user(operator, args.name, args.role, _password(), args.unit)
        print(f"user {u.username} added as {u.role}" + (f" of {u.unit}" if u.unit else ""))
    elif args.action == "list":
        for u in sorted(c.directory.users(), key=lambda u: u.username):
            print(f"{u.username}\t{u.role}\t{u.unit or '-'}\t{'active' if u.active else 'disabled'}")
    elif args.action == "disable":
        c.directory.disable_user(operator, args.name, args.reason)
        print(f"user {args.name} disabled")
    elif args.action == "enable":
        c.directory.enable_user(operator, args.name)
        print(f"user {args.name} enabled")
    elif args.action == "passwd":
        c.directory.set_password(operator, args.name, _password())
        print(f"password of {args.name} changed; earlier tokens revoked")
    elif args.action == "revoke-tokens":
        c.directory.revoke_all_tokens(operator, args.name)
        print(f"every token of {args.name} revoked")
    return 0


def _password() -> str:
    """From a terminal, asked twice; from a pipe, the first line."""
    if sys.stdin.isatty():
        first, second = getpass.getpass("password: "), getpass.getpass("again: ")
        if first != second:
            raise SystemExit("caseledger: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


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
