/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_form.c: the dashboard's parsers of browser input (web/form.h): the
 * form-urlencoded parser (POSTed forms and page queries) and the Cookie
 * header lookup, then the HTML and CSV writers on what was decoded.
 * Invariants beyond "no crash": accepted forms respect every limit (field
 * count, name and value lengths, unique non-empty names, no control bytes
 * but tab, CR, LF); re-encoding the fields and parsing again gives the same
 * fields (round trip); a found cookie value is a view inside the header;
 * escaped HTML holds no raw < > " '; a CSV cell never starts a formula.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "web/csv.h"
#include "web/form.h"
#include "web/html.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_fields(const struct ch_form *f)
{
    check(f->n_fields <= CH_FORM_MAX_FIELDS);
    for (unsigned i = 0; i < f->n_fields; i++) {
        size_t nl = strlen(f->fields[i].name);
        check(nl > 0 && nl <= CH_FORM_MAX_NAME);
        check(strlen(f->fields[i].value) <= CH_FORM_MAX_VALUE);
        for (const unsigned char *p = (const unsigned char *)f->fields[i].value; *p; p++)
            check(*p >= 0x20 || *p == '\t' || *p == '\r' || *p == '\n');
        for (unsigned j = 0; j < i; j++)
            check(strcmp(f->fields[i].name, f->fields[j].name) != 0);
    }
}

static bool healthy(const struct ch_buf *b)
{
    struct ch_err err = CH_ERR_INIT;
    return ch_buf_status(b, "output", &err) == CH_OK;
}

static void check_writers(const char *value)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    ch_html_esc(&b, value);
    if (healthy(&b))
        check(strpbrk(ch_buf_cstr(&b), "<>\"'") == NULL);
    ch_buf_reset(&b);
    ch_csv_cell(&b, value, true);
    const char *c = ch_buf_cstr(&b);
    if (healthy(&b) && c[0] == '"')
        c++;
    check(c[0] != '=' && c[0] != '+' && c[0] != '-' && c[0] != '@');
    ch_buf_release(&b);
}

static void fuzz_form(struct ch_arena *a, struct ch_str s)
{
    struct ch_form f;
    struct ch_err err = CH_ERR_INIT;
    if (ch_form_parse(a, s, &f, &err) != CH_OK) {
        check(err.msg[0] != '\0');
        return;
    }
    check_fields(&f);
    struct ch_buf enc;
    ch_buf_init(&enc, 1 << 20);
    for (unsigned i = 0; i < f.n_fields; i++) {
        ch_url_esc(&enc, f.fields[i].name);
        ch_buf_append_byte(&enc, '=');
        ch_url_esc(&enc, f.fields[i].value);
        ch_buf_append_byte(&enc, '&');
        check_writers(f.fields[i].value);
    }
    struct ch_form g;
    /* escaping can lengthen the text past the form limit; only shorter ones must round-trip */
    if (healthy(&enc) && ch_buf_len(&enc) <= CH_FORM_MAX_BYTES) {
        check(ch_form_parse(a, ch_buf_str(&enc), &g, &err) == CH_OK);
        check(g.n_fields == f.n_fields);
        for (unsigned i = 0; i < f.n_fields; i++) {
            check(strcmp(g.fields[i].name, f.fields[i].name) == 0);
            check(strcmp(g.fields[i].value, f.fields[i].value) == 0);
        }
    }
    ch_buf_release(&enc);
}

static void fuzz_cookie(struct ch_str s)
{
    static const char *const names[] = {"ch_session", "ch_pre", "a"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct ch_str v;
        struct ch_err err = CH_ERR_INIT;
        int rc = ch_cookie_find(s, names[i], &v, &err);
        if (rc == CH_OK)
            check(v.len <= s.len &&
                  (v.len == 0 || (v.ptr >= s.ptr && v.ptr + v.len <= s.ptr + s.len)));
        else
            check(rc == CH_E_NOTFOUND || err.msg[0] != '\0');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ch_arena *a = ch_arena_new((size_t)8 << 20);
    if (a == NULL)
        return 0;
    struct ch_str s = ch_str_make((const char *)data, size);
    fuzz_form(a, s);
    fuzz_cookie(s);
    ch_arena_free(a);
    return 0;
}
