// SPDX-License-Identifier: Apache-2.0
//
// semver_oracle.js: reads "A<TAB>B" lines on stdin and prints one line per
// pair: -1, 0 or 1 as node-semver's compare() orders A and B (strict mode),
// or "error" when either is not a valid SemVer version. Needs the semver
// package installed next to this file by tests/oracles/setup.
'use strict'
const path = require('path')
const semver = require(path.join(__dirname, 'node_modules', 'semver'))
const readline = require('readline')

const out = []
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  const t = line.indexOf('\t')
  let r = 'error'
  if (t >= 0) {
    try {
      r = String(semver.compare(line.slice(0, t), line.slice(t + 1)))
    } catch (e) {
      r = 'error'
    }
  }
  out.push(r)
  if (out.length >= 4096) {
    process.stdout.write(out.join('\n') + '\n')
    out.length = 0
  }
})
rl.on('close', () => {
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n')
})
