/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_range.c: libFuzzer target for OSV range evaluation
 * (src/version/range.h).
 *
 * Input: byte 0 picks the scheme, byte 1 the range type; the rest is lines,
 * the first the queried version and each following one an event whose
 * first character is its kind (i introduced, f fixed, l last_affected,
 * m limit). Invariants: no crash; a failure is an error with a message;
 * with no events nothing is included; and the range answer does not depend
 * on the order of the events when all their versions differ (checked by
 * evaluating the events reversed). Maven is exempt from that last check:
 * its ComparableVersion is not transitive on some odd inputs, so "all
 * versions differ" does not make the order of events irrelevant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version/range.h"
#include "version/version.h"

#define FUZZ_MAX_EVENTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool distinct(const struct ch_version_scheme *s, const struct ch_osv_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            struct ch_err err = CH_ERR_INIT;
            int c = 0;
            if (ch_version_cmp(s, ev[i].version, ev[j].version, &c, &err) != CH_OK || c == 0)
                return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const struct ch_version_scheme *s = ch_version_scheme_at(data[0] % ch_version_scheme_count());
    enum ch_osv_range_type type = (enum ch_osv_range_type)(data[1] % 3);
    struct ch_str rest = ch_str_make((const char *)data + 2, size - 2);
    struct ch_str v;
    if (!ch_str_split_next(&rest, '\n', &v))
        return 0;
    struct ch_osv_event ev[FUZZ_MAX_EVENTS];
    struct ch_osv_event rev[FUZZ_MAX_EVENTS];
    size_t n = 0;
    struct ch_str line;
    while (n < FUZZ_MAX_EVENTS && ch_str_split_next(&rest, '\n', &line)) {
        if (line.len < 1)
            continue;
        static const enum ch_osv_event_kind kinds[] = {CH_OSV_INTRODUCED, CH_OSV_FIXED,
                                                       CH_OSV_LAST_AFFECTED, CH_OSV_LIMIT};
        ev[n].kind = kinds[(unsigned char)line.ptr[0] % 4];
        ev[n].version = ch_str_sub(line, 1, line.len - 1);
        n++;
    }
    for (size_t i = 0; i < n; i++)
        rev[i] = ev[n - 1 - i];
    struct ch_osv_range r = {.type = type, .events = ev, .n_events = n};
    struct ch_err err = CH_ERR_INIT;
    bool in = false;
    int rc = ch_osv_range_includes(&r, s, v, &in, &err);
    if (rc != CH_OK && err.msg[0] == '\0')
        abort();
    if (rc == CH_OK && n == 0 && in)
        abort();
    if (rc == CH_OK && type != CH_OSV_RANGE_GIT &&
        strcmp(ch_version_scheme_name(s), "maven") != 0 && distinct(s, ev, n)) {
        struct ch_osv_range rr = {.type = type, .events = rev, .n_events = n};
        bool in2 = !in;
        struct ch_err err2 = CH_ERR_INIT;
        if (ch_osv_range_includes(&rr, s, v, &in2, &err2) != CH_OK || in2 != in)
            abort();
    }
    return 0;
}
