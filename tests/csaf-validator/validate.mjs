// SPDX-License-Identifier: Apache-2.0
//
// Validates published advisories for the disclosure tests:
//
//   node validate.mjs csaf FILE...          CSAF 2.0 schema (strict) + every mandatory test
//                                           of @secvisogram/csaf-validator-lib
//   node validate.mjs osv SCHEMA FILE...    the OSV JSON schema (draft 2020-12) with ajv
//
// Prints one line per problem and exits 1 when any document is invalid, 2 on
// a usage or installation problem (the caller fails loudly on both).
import { readFileSync } from 'node:fs'

const [kind, ...args] = process.argv.slice(2)

async function csaf(files) {
  // validate.js runs exactly the tests given; validateStrict.js would also load
  // the optional and informative tests (seconds of start-up) only to check that
  // the ones given are the library's, which they are.
  const { default: validate } = await import('@secvisogram/csaf-validator-lib/validate.js')
  const mandatory = await import('@secvisogram/csaf-validator-lib/mandatoryTests.js')
  const schema = await import('@secvisogram/csaf-validator-lib/schemaTests.js')
  const tests = [schema.csaf_2_0_strict, ...Object.values(mandatory)]
  let ok = true
  for (const f of files) {
    const doc = JSON.parse(readFileSync(f, 'utf8'))
    const result = await validate(tests, doc)
    for (const t of result.tests) {
      for (const e of t.errors) {
        ok = false
        console.log(`${f}: ${t.name}: ${e.instancePath} ${e.message}`)
      }
    }
    if (result.isValid) console.log(`${f}: valid CSAF 2.0 (${tests.length} tests)`)
    else ok = false
  }
  return ok
}

async function osv(schemaPath, files) {
  const { default: Ajv2020 } = await import('ajv/dist/2020.js')
  const { default: addFormats } = await import('ajv-formats')
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  addFormats(ajv)
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')))
  let ok = true
  for (const f of files) {
    const doc = JSON.parse(readFileSync(f, 'utf8'))
    if (validate(doc)) {
      console.log(`${f}: valid OSV`)
      continue
    }
    ok = false
    for (const e of validate.errors) console.log(`${f}: ${e.instancePath} ${e.message}`)
  }
  return ok
}

try {
  let ok
  if (kind === 'csaf' && args.length > 0) ok = await csaf(args)
  else if (kind === 'osv' && args.length > 1) ok = await osv(args[0], args.slice(1))
  else {
    console.error('usage: node validate.mjs csaf FILE... | osv SCHEMA FILE...')
    process.exit(2)
  }
  process.exit(ok ? 0 : 1)
} catch (e) {
  console.error(`validator failed: ${e && e.stack ? e.stack : e}`)
  process.exit(2)
}
