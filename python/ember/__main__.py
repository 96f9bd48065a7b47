"""``python -m ember --cmake-dir``: where the installed CMake package lives (for C++ users)."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``--cmake-dir``, ``--include-dir`` or ``--version``; returns 0."""
    parser = argparse.ArgumentParser(prog="python -m ember", description=__doc__)
    parser.add_argument("--cmake-dir", action="store_true",
                        help="print the folder to pass as CMAKE_PREFIX_PATH / ember_DIR")
    parser.add_argument("--include-dir", action="store_true", help="print the C++ include folder")
    parser.add_argument("--version", action="store_true", help="print ember's version")
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    if args.cmake_dir:
        print(os.path.join(here, "share", "cmake", "ember"))
    elif args.include_dir:
        print(os.path.join(here, "include"))
    elif args.version:
        from . import __version__

        print(__version__)
    else:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
