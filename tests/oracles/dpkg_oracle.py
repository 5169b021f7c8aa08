# SPDX-License-Identifier: Apache-2.0
#
# dpkg_oracle.py: reads "A<TAB>B" lines on stdin and prints one line per
# pair: -1, 0 or 1 as apt_pkg.version_compare (python3-apt, the same order
# as dpkg --compare-versions) orders A and B. apt does not validate
# versions, so the generator feeds it valid ones only.
import sys

import apt_pkg


def main():
    apt_pkg.init()
    cmp = apt_pkg.version_compare
    out = []
    for line in sys.stdin:
        a, _, b = line.rstrip("\n").partition("\t")
        c = cmp(a, b)
        out.append("-1" if c < 0 else ("1" if c > 0 else "0"))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
