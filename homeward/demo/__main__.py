"""`python -m homeward.demo ...`: the same as `homeward demo ...`."""

from __future__ import annotations

import argparse
import sys

from homeward.demo import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="homeward")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["demo", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
