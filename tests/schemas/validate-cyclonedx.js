// Validates a CycloneDX JSON document against the official schema of its
// specVersion (strict), as shipped in @cyclonedx/cyclonedx-library.
// Usage: node validate-cyclonedx.js FILE; exit 0 valid, 1 invalid, 2 error.
'use strict';
const fs = require('fs');
const { Validation, Spec } = require('@cyclonedx/cyclonedx-library');
const text = fs.readFileSync(process.argv[2], 'utf8');
const version = JSON.parse(text).specVersion;
const v = new Validation.JsonStrictValidator(version);
v.validate(text).then((err) => {
  if (err === null) { console.log('valid CycloneDX ' + version); process.exit(0); }
  console.log(JSON.stringify(err, null, 1));
  process.exit(1);
}).catch((e) => { console.log('error: ' + e); process.exit(2); });
