"""`shopmesh console add-agent | list-agents`: the agents' local accounts of the console (argon2 hashes)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from shopmesh import paths


def _default_accounts() -> Path:
    return paths.home() / "console" / "accounts.yaml"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `console`."""
    console = subparsers.add_parser("console", help="manage the agents' console accounts",
                                    description="Local agent accounts of the console (a YAML file of argon2id "
                                    "hashes; in a cluster it is the Secret the chart mounts).")
    commands = console.add_subparsers(dest="console_command", required=True, metavar="COMMAND")
    add = commands.add_parser("add-agent", help="add or replace an agent account",
                              description="Adds an agent (or replaces one with the same id). The password is "
                              "asked for on the terminal, or read from standard input with --password-stdin.")
    add.add_argument("--id", required=True, help="agent id, [a-z0-9._-]{1,32}")
    add.add_argument("--name", required=True, help="display name shown to customers")
    add.add_argument("--reveal", action="store_true", help="may reveal redacted values in clear (audited)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--accounts", type=Path, default=None,
                     help="accounts file (default: $SHOPMESH_HOME/console/accounts.yaml)")
    add.set_defaults(handler=run_add_agent)
    listing = commands.add_parser("list-agents", help="list the agent accounts (no hashes)")
    listing.add_argument("--accounts", type=Path, default=None, help="accounts file")
    listing.set_defaults(handler=run_list_agents)


def run_add_agent(args: argparse.Namespace) -> int:
    """Writes the account; exit 2 on a bad id or an empty or short password."""
    from services.console.accounts import AGENT_ID, AccountsError, add_agent

    if not AGENT_ID.match(args.id):
        print(f"agent id must match {AGENT_ID.pattern}", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.id}: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 12:
        print("the password must have at least 12 characters", file=sys.stderr)
        return 2
    path = args.accounts or _default_accounts()
    try:
        add_agent(path, args.id, args.name, password, ["reveal"] if args.reveal else [])
    except AccountsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"agent {args.id} written to {path}")
    return 0


def run_list_agents(args: argparse.Namespace) -> int:
    """Prints id, display name and permissions of each account."""
    from services.console.accounts import Accounts

    accounts = Accounts(args.accounts or _default_accounts())
    for agent_id in sorted(accounts.ids()):
        agent = accounts.get(agent_id)
        assert agent is not None
        print(f"{agent.agent_id:<20} {agent.display_name:<24} {','.join(sorted(agent.permissions)) or '-'}")
    return 0
