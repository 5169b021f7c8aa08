/* SPDX-License-Identifier: Apache-2.0
 * Unit tests: the dashboard's input parsers and output writers: forms,
 * cookies, sealed sessions and CSRF tokens, HTML escaping, CSV cells and
 * the SVG charts' accessibility elements. */
#include "testutil.h"

#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "web/chart.h"
#include "web/csv.h"
#include "web/form.h"
#include "web/html.h"
#include "web/session.h"

static void test_form_parse_decodes_and_refuses(void **state)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    struct ch_form f;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_form_parse(a, ch_str_c("a=1+2%21&&b&c=%E2%82%AC"), &f, &err), CH_OK);
    assert_int_equal(f.n_fields, 3);
    assert_string_equal(ch_form_get(&f, "a"), "1 2!");
    assert_string_equal(ch_form_get(&f, "b"), "");
    assert_string_equal(ch_form_get(&f, "c"), "\xE2\x82\xAC");
    assert_null(ch_form_get(&f, "d"));
    static const char *const bad[] = {"a=%zz", "a=%4", "a=1&a=2", "=x", "a=%00", "a=%FF", "a=%01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = (struct ch_err)CH_ERR_INIT; /* the first message wins: start afresh */
        assert_int_equal(ch_form_parse(a, ch_str_c(bad[i]), &f, &err), CH_E_INVALID);
    }
    err = (struct ch_err)CH_ERR_INIT;
    char many[400] = "";
    for (int i = 0; i < 40; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "f%d=1&", i);
    assert_int_equal(ch_form_parse(a, ch_str_c(many), &f, &err), CH_E_LIMIT);
    ch_arena_free(a);
}

static void test_cookie_find(void **state)
{
    struct ch_str v;
    struct ch_err err = CH_ERR_INIT;
    struct ch_str h = ch_str_c("x=1; ch_session=abc ;ch_pre=\"q\"; ch_session=second");
    assert_int_equal(ch_cookie_find(h, "ch_session", &v, &err), CH_OK);
    assert_true(ch_str_eq_c(v, "abc"));
    assert_int_equal(ch_cookie_find(h, "ch_pre", &v, &err), CH_OK);
    assert_true(ch_str_eq_c(v, "q"));
    assert_int_equal(ch_cookie_find(h, "nope", &v, &err), CH_E_NOTFOUND);
    assert_int_equal(ch_cookie_find(CH_STR_NULL, "x", &v, &err), CH_E_NOTFOUND);
}

static void test_session_seal_open_expire_and_tamper(void **state)
{
    assert_true(sodium_init() >= 0);
    struct ch_session_keys k, other;
    ch_session_keys_init(&k);
    ch_session_keys_init(&other);
    char sealed[CH_SESSION_COOKIE_MAX + 1], token[CH_SESSION_TOKEN_MAX + 1];
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_session_seal(&k, ch_str_c("chk_secret"), 1000, sealed, &err), CH_OK);
    assert_null(strstr(sealed, "secret")); /* encrypted, not just signed */
    assert_int_equal(ch_session_open(&k, ch_str_c(sealed), 1000 + 60, token, &err), CH_OK);
    assert_string_equal(token, "chk_secret");
    assert_int_equal(
        ch_session_open(&k, ch_str_c(sealed), 1000 + CH_SESSION_MAX_AGE_S + 1, token, &err),
        CH_E_AUTH);
    assert_int_equal(ch_session_open(&other, ch_str_c(sealed), 1000, token, &err), CH_E_AUTH);
    sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
    assert_int_equal(ch_session_open(&k, ch_str_c(sealed), 1000, token, &err), CH_E_AUTH);
    err = (struct ch_err)CH_ERR_INIT;
    assert_int_equal(ch_session_seal(&k, ch_str_c("has space"), 0, sealed, &err), CH_E_INVALID);
    char csrf[CH_CSRF_LEN + 1];
    ch_session_csrf(&k, ch_str_c("cookie"), csrf);
    assert_true(ch_session_csrf_ok(&k, ch_str_c("cookie"), csrf));
    assert_false(ch_session_csrf_ok(&k, ch_str_c("another"), csrf));
    assert_false(ch_session_csrf_ok(&other, ch_str_c("cookie"), csrf));
    assert_false(ch_session_csrf_ok(&k, ch_str_c("cookie"), NULL));
    assert_false(ch_session_csrf_ok(&k, CH_STR_NULL, csrf));
}

static void test_html_url_and_csv_writers(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 4096);
    ch_html_esc(&b, "<a href=\"x\">'&'</a>");
    assert_string_equal(ch_buf_cstr(&b), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    ch_buf_reset(&b);
    ch_url_esc(&b, "a b&c/é");
    assert_string_equal(ch_buf_cstr(&b), "a%20b%26c%2F%C3%A9");
    ch_buf_reset(&b);
    ch_csv_cell(&b, "plain", true);
    ch_csv_cell(&b, "a,b", false);
    ch_csv_cell(&b, "say \"hi\"", false);
    ch_csv_cell(&b, "=1+1", false);
    ch_csv_cell(&b, "@x,y", false);
    ch_csv_cell(&b, NULL, false);
    ch_csv_end(&b);
    assert_string_equal(ch_buf_cstr(&b), "plain,\"a,b\",\"say \"\"hi\"\"\",'=1+1,\"'@x,y\",\r\n");
    ch_buf_release(&b);
}

static void test_charts_are_labelled_and_escaped(void **state)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    double v[2] = {1, 3};
    const char *labels[2] = {"<d1>", "d2"};
    struct ch_chart_series s = {"over<due>", v};
    struct ch_chart_lines c = {.id = "c1",
                               .title = "T & t",
                               .desc = "D",
                               .labels = labels,
                               .n_points = 2,
                               .series = &s,
                               .n_series = 1};
    ch_chart_lines_svg(&b, &c);
    const char *out = ch_buf_cstr(&b);
    assert_non_null(strstr(out, "role=\"img\" aria-labelledby=\"c1-t c1-d\""));
    assert_non_null(strstr(out, "<title id=\"c1-t\">T &amp; t</title>"));
    assert_non_null(strstr(out, "<desc id=\"c1-d\">D</desc>"));
    assert_non_null(strstr(out, "<th scope=\"row\">&lt;d1&gt;</th><td>1</td>"));
    assert_null(strstr(out, "<d1>"));
    assert_null(strstr(out, "style="));
    ch_buf_reset(&b);
    struct ch_chart_estimate e = {"run 1", 0.4, 0.3, 0.5};
    struct ch_chart_intervals ci = {.id = "c2",
                                    .title = "Score",
                                    .desc = "desc",
                                    .row_label = "Run",
                                    .items = &e,
                                    .n_items = 1,
                                    .threshold = 0.35,
                                    .threshold_label = "threshold <0.35>"};
    ch_chart_intervals_svg(&b, &ci);
    out = ch_buf_cstr(&b);
    assert_non_null(strstr(out, "class=\"threshold\""));
    assert_non_null(strstr(out, "threshold &lt;0.35&gt;</text>"));
    assert_non_null(strstr(out, "<th scope=\"col\">Run</th>"));
    assert_non_null(strstr(out, "<td>0.400</td><td>0.300</td><td>0.500</td>"));
    ch_buf_reset(&b);
    ci.threshold_label = NULL; /* no threshold: no line, no legend entry */
    ch_chart_intervals_svg(&b, &ci);
    out = ch_buf_cstr(&b);
    assert_null(strstr(out, "class=\"threshold\""));
    assert_null(strstr(out, "key thr"));
    ch_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_parse_decodes_and_refuses),
        cmocka_unit_test(test_cookie_find),
        cmocka_unit_test(test_session_seal_open_expire_and_tamper),
        cmocka_unit_test(test_html_url_and_csv_writers),
        cmocka_unit_test(test_charts_are_labelled_and_escaped),
    };
    return cmocka_run_group_tests_name("web input and output", tests, NULL, NULL);
}
