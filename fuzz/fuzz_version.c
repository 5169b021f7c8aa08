/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_version.c: libFuzzer target for the version schemes (src/version/).
 *
 * Input: the first byte picks the scheme (modulo their count); the rest is
 * split at '\n' into up to three versions a, b, c. Invariants, on every
 * scheme: no crash; validate agrees with compare; compare is reflexive
 * (a = a), antisymmetric (cmp(a,b) = -cmp(b,a)) and transitive over the
 * triple (a <= b <= c implies a <= c, with equality only when both are
 * equalities). A violation aborts, so libFuzzer reports it.
 *
 * Maven is exempt from the transitivity check only: maven-artifact's
 * ComparableVersion itself is not transitive on some odd inputs (the corpus
 * file version/maven-nontransitive holds one; the reference agrees with us
 * on all three pairs), and we reproduce it exactly; docs/matching.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version/version.h"

static int cmp_ok(const struct ch_version_scheme *s, struct ch_str x, struct ch_str y, int *ret)
{
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_version_cmp(s, x, y, ret, &err);
    if (rc != CH_OK && (err.msg[0] == '\0' || (rc != CH_E_INVALID && rc != CH_E_LIMIT)))
        abort(); /* every failure is an invalid or over-long version, with a message */
    if (rc == CH_OK && *ret != -1 && *ret != 0 && *ret != 1)
        abort();
    return rc == CH_OK;
}

static bool valid(const struct ch_version_scheme *s, struct ch_str v)
{
    struct ch_err err = CH_ERR_INIT;
    return ch_version_validate(s, v, &err) == CH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct ch_version_scheme *s = ch_version_scheme_at(data[0] % ch_version_scheme_count());
    struct ch_str rest = ch_str_make((const char *)data + 1, size - 1);
    struct ch_str v[3] = {CH_STR_LIT("1.0.0"), CH_STR_LIT("1.0.0"), CH_STR_LIT("1.0.0")};
    for (int i = 0; i < 3; i++) {
        struct ch_str tok;
        if (!ch_str_split_next(&rest, '\n', &tok))
            break;
        v[i] = tok;
    }
    bool ok[3];
    for (int i = 0; i < 3; i++) {
        int self = 0;
        ok[i] = cmp_ok(s, v[i], v[i], &self);
        if (ok[i] != valid(s, v[i]))
            abort();
        if (ok[i] && self != 0)
            abort(); /* reflexive */
    }
    int ab = 0, ba = 0, bc = 0, ac = 0;
    if (ok[0] && ok[1]) {
        if (!cmp_ok(s, v[0], v[1], &ab) || !cmp_ok(s, v[1], v[0], &ba) || ab != -ba)
            abort(); /* antisymmetric */
    }
    if (ok[0] && ok[1] && ok[2] && strcmp(ch_version_scheme_name(s), "maven") != 0) {
        if (!cmp_ok(s, v[1], v[2], &bc) || !cmp_ok(s, v[0], v[2], &ac))
            abort();
        if (ab <= 0 && bc <= 0 && ac > 0)
            abort(); /* a <= b <= c but a > c */
        if (ab >= 0 && bc >= 0 && ac < 0)
            abort();
        if (ab == 0 && bc == 0 && ac != 0)
            abort();
        if ((ab < 0 && bc <= 0) || (ab <= 0 && bc < 0)) {
            if (ac >= 0)
                abort(); /* strictness carries over */
        }
    }
    return 0;
}
