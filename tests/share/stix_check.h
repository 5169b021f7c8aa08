/* SPDX-License-Identifier: Apache-2.0
 *
 * stix_check.h: structural validation of STIX 2.1 objects for the tests.
 *
 * No copy of the OASIS JSON schemas is available offline here (and none is
 * published as a package of a registry this project uses), so this checks,
 * per object type we emit, every property the STIX 2.1 specification marks
 * required, the common rules (identifier form, spec_version, timestamp
 * format with millisecond precision, modified >= created, property-name
 * syntax, custom properties prefixed x_), the properties the specification
 * forbids on a type (created/modified on cyber-observables, modified on
 * marking definitions) and the shape of references and markings.
 */
#ifndef CH_TESTS_SHARE_STIX_CHECK_H
#define CH_TESTS_SHARE_STIX_CHECK_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* 0 when obj is a valid object of a type we emit; else 1 with why in msg. */
int stix_check(const cJSON *obj, char *msg, size_t msg_size);

#endif
