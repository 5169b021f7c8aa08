# SPDX-License-Identifier: Apache-2.0
#
# pep440_oracle.py: reads "A<TAB>B" lines on stdin and prints one line per
# pair: -1, 0 or 1 as python-packaging's Version orders A and B, or "error"
# when either is not a valid PEP 440 version. Run with Debian's
# /usr/bin/python3 (python3-packaging), not a pyenv python.
import sys

from packaging.version import InvalidVersion, Version


def main():
    out = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        a, sep, b = line.partition("\t")
        try:
            va, vb = Version(a), Version(b)
            out.append("-1" if va < vb else ("1" if va > vb else "0"))
        except InvalidVersion:
            out.append("error")
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
