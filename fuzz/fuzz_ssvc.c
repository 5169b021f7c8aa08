/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_ssvc.c: the SSVC decision-table reader (JSON and CSV forms) and the
 * directive reader. Invariants checked beyond "no crash":
 *   - a table that loads is complete: every row's combination looks up to
 *     the row's outcome, by index and by the values' names, and the row
 *     count is the product of the points' value counts;
 *   - every rejection carries a message;
 *   - a directive that loads writes JSON that parses again, of bounded size.
 * Directive tables are looked up in a folder that does not exist, so the
 * target never reads files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "remediate/directive.h"
#include "remediate/ssvc.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_table(const struct ch_ssvc_table *t)
{
    size_t np = ch_ssvc_table_n_points(t);
    size_t rows = 1;
    for (size_t i = 0; i < np; i++)
        rows *= ch_ssvc_table_point(t, i)->n_values;
    check(rows == ch_ssvc_table_n_rows(t));
    const struct ch_ssvc_point *op = ch_ssvc_table_outcome(t);
    for (size_t r = 0; r < rows; r++) {
        size_t vals[CH_SSVC_MAX_POINTS];
        size_t o = ch_ssvc_table_row(t, r, vals);
        check(o < op->n_values);
        size_t got = SIZE_MAX;
        struct ch_err err = CH_ERR_INIT;
        check(ch_ssvc_table_lookup_index(t, vals, &got, &err) == CH_OK && got == o);
        struct ch_ssvc_input in[CH_SSVC_MAX_POINTS];
        for (size_t i = 0; i < np; i++) {
            const struct ch_ssvc_point *p = ch_ssvc_table_point(t, i);
            in[i].point = ch_str_c(p->id);
            in[i].value = ch_str_c(p->values[vals[i]].name);
        }
        got = SIZE_MAX;
        check(ch_ssvc_table_lookup(t, in, np, &got, &err) == CH_OK && got == o);
        if (r > 64)
            break; /* enough rows per input */
    }
}

static void check_directive(const struct ch_directive *d, size_t size)
{
    struct ch_buf b;
    ch_buf_init(&b, 16u << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_directive_write_json(d, &w);
    struct ch_err err = CH_ERR_INIT;
    check(ch_jw_finish(&w, &err) == CH_OK);
    check(ch_buf_len(&b) <= size * 8 + 4096);
    cJSON *j = NULL;
    check(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "again", &j, &err) == CH_OK);
    cJSON_Delete(j);
    struct ch_directive_inputs in = CH_DIRECTIVE_INPUTS_INIT;
    struct ch_directive_decision dec;
    ch_err_clear(&err);
    if (ch_directive_decide(d, &in, &dec, &err) != CH_OK)
        check(err.msg[0] != '\0');
    ch_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        ch_json_global_init();
        inited = 1;
    }
    struct ch_err err = CH_ERR_INIT;
    struct ch_ssvc_table *t = NULL;
    if (ch_ssvc_table_parse((const char *)data, size, "fuzz", &t, &err) == CH_OK)
        check_table(t);
    else
        check(t == NULL && err.msg[0] != '\0');
    ch_ssvc_table_free(t);

    struct ch_directive *d = NULL;
    ch_err_clear(&err);
    if (ch_directive_parse((const char *)data, size, "fuzz", "/nonexistent-fuzz-dir", &d, &err) ==
        CH_OK)
        check_directive(d, size);
    else
        check(d == NULL && err.msg[0] != '\0');
    ch_directive_free(d);
    return 0;
}
