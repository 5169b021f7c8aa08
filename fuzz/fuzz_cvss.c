/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_cvss.c: the CVSS vector parser and calculators (vuln/cvss.h).
 * Invariants checked beyond "no crash": a rejection carries a message and
 * CH_E_INVALID or CH_E_LIMIT; an accepted vector scores without error, every
 * score lies in [0, 10] with one decimal and its severity is the rating of
 * the overall score; the canonical re-printing has the input's length,
 * parses to the identical vector and gives identical scores, and re-prints
 * to the same bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/cvss.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_score(double x)
{
    check(x >= 0.0 && x <= 10.0);
    check(fabs(x * 10.0 - round(x * 10.0)) < 1e-9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ch_str text = ch_str_make((const char *)data, size);
    struct ch_cvss_vector v;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_cvss_parse(text, &v, &err);
    if (rc != CH_OK) {
        check(rc == CH_E_INVALID || rc == CH_E_LIMIT);
        check(err.msg[0] != '\0');
        return 0;
    }
    struct ch_cvss_score s;
    check(ch_cvss_score(&v, &s, &err) == CH_OK);
    check_score(s.score);
    check_score(s.base_score);
    check_score(s.temporal_score);
    check_score(s.environmental_score);
    check(s.severity == ch_cvss_severity_of(s.score));
    check(s.version != CH_CVSS_V4_0 || strlen(s.macrovector) == 6);

    struct ch_buf a;
    struct ch_buf b;
    ch_buf_init(&a, CH_CVSS_VECTOR_TEXT_MAX);
    ch_buf_init(&b, CH_CVSS_VECTOR_TEXT_MAX);
    check(ch_cvss_format(&v, &a) == CH_OK);
    check(ch_buf_len(&a) == size);
    struct ch_cvss_vector v2;
    check(ch_cvss_parse(ch_buf_str(&a), &v2, &err) == CH_OK);
    check(memcmp(&v, &v2, sizeof(v)) == 0);
    struct ch_cvss_score s2;
    check(ch_cvss_score(&v2, &s2, &err) == CH_OK);
    check(s2.score == s.score && s2.base_score == s.base_score &&
          s2.temporal_score == s.temporal_score &&
          s2.environmental_score == s.environmental_score && s2.severity == s.severity &&
          s2.nomenclature == s.nomenclature && strcmp(s2.macrovector, s.macrovector) == 0);
    check(ch_cvss_format(&v2, &b) == CH_OK);
    check(ch_buf_len(&a) == ch_buf_len(&b) &&
          memcmp(ch_buf_cstr(&a), ch_buf_cstr(&b), ch_buf_len(&a)) == 0);
    ch_buf_release(&a);
    ch_buf_release(&b);
    return 0;
}
