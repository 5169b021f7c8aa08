#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# rpm_oracle.sh: reads "A<TAB>B" lines on stdin and prints one line per
# pair: -1, 0 or 1 as rpm's own rpm.vercmp (rpm 4.18, EVR-aware) orders
# them, all pairs in one rpm process through its embedded Lua.
set -eu
exec rpm --eval '%{lua:
for l in io.lines() do
  local t = l:find("\t", 1, true)
  print(rpm.vercmp(l:sub(1, t - 1), l:sub(t + 1)) .. "\n")
end
}'
