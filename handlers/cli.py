"""``batchbridge keys create|list|revoke``: manage virtual keys in the configured table.

Point it at a deployed stack with ``BATCHBRIDGE_TABLE=<TableName output>`` and your AWS credentials, or at
the local stack with ``AWS_ENDPOINT_URL``. Only the key's SHA-256 is stored; the key is printed once.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys

from handlers.auth import hash_key
from handlers.config import PROVIDERS
from handlers.ids import iso, utcnow
from handlers.storage import table
from handlers.storage.records import KeyRecord


def _create(args) -> int:
    providers = args.providers.split(",") if args.providers else list(PROVIDERS)
    unknown = [p for p in providers if p not in PROVIDERS]
    if unknown:
        print(
            f"unknown provider(s): {', '.join(unknown)}; choose from {', '.join(PROVIDERS)}", file=sys.stderr
        )
        return 2
    key = "bb-" + secrets.token_urlsafe(32)
    record = KeyRecord(
        key_hash=hash_key(key),
        owner=args.owner,
        providers=providers,
        admin=args.admin,
        created_at=iso(utcnow()),
        label=args.label or "",
    )
    table.put_key(record)
    print(
        json.dumps({"key": key, "key_id": record.key_hash[:12], "owner": args.owner, "providers": providers})
    )
    return 0


def _list(_args) -> int:
    for k in sorted(table.list_keys(), key=lambda k: k.created_at):
        print(
            json.dumps(
                {
                    "key_id": k.key_hash[:12],
                    "owner": k.owner,
                    "providers": k.providers,
                    "admin": k.admin,
                    "revoked": k.revoked,
                    "label": k.label,
                    "created_at": k.created_at,
                }
            )
        )
    return 0


def _revoke(args) -> int:
    matches = [k for k in table.list_keys() if k.key_hash.startswith(args.key_id)]
    if len(matches) != 1:
        print(f"{len(matches)} keys match {args.key_id!r}; give a longer key_id", file=sys.stderr)
        return 1
    record = matches[0]
    record.revoked = True
    table.put_key(record)
    print(json.dumps({"key_id": record.key_hash[:12], "revoked": True}))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="batchbridge", description=__doc__.split("\n")[0])
    sub = root.add_subparsers(dest="group", required=True)
    keys = sub.add_parser("keys", help="manage virtual keys").add_subparsers(dest="command", required=True)
    create = keys.add_parser("create", help="mint a key (printed once)")
    create.add_argument(
        "--owner", required=True, help="owner id; the key sees only this owner's batches/files"
    )
    create.add_argument("--providers", help="comma-separated providers the key may use (default: all)")
    create.add_argument("--admin", action="store_true", help="may use raw provider file ids")
    create.add_argument("--label", help="a note for humans")
    create.set_defaults(run=_create)
    keys.add_parser("list", help="list keys (never the keys themselves)").set_defaults(run=_list)
    revoke = keys.add_parser("revoke", help="revoke a key by its key_id prefix")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=_revoke)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
