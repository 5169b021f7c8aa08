/* SPDX-License-Identifier: Apache-2.0
 * Allocation-failure tests: every constructor and parser of core, failed at
 * allocation N for N = 0, 1, 2, ... until it succeeds. Each failure must be
 * reported as CH_E_NOMEM (or NULL) and leak nothing (LeakSanitizer checks). */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/map.h"

/* Runs body(n) with allocation n failing until it reports success. */
static void oom_loop(int (*body)(void), const char *what)
{
    for (long n = 0; n < 100000; n++) {
        ch_alloc_fault_enable(n);
        int rc = body();
        long hits = ch_alloc_fault_hits();
        ch_alloc_fault_disable();
        if (rc == CH_OK) {
            if (hits == 0)
                return; /* succeeded without touching the injected failure */
            fail_msg("%s: succeeded although allocation %ld failed", what, n);
        }
        if (rc != CH_E_NOMEM && rc != CH_E_LIMIT)
            fail_msg("%s: allocation %ld failed with rc %d, want NOMEM", what, n, rc);
    }
    fail_msg("%s: never succeeded", what);
}

static int body_map(void)
{
    struct ch_map *m = ch_map_new(1, ch_free);
    if (m == NULL)
        return CH_E_NOMEM;
    int rc = CH_OK;
    for (int i = 0; i < 40 && rc == CH_OK; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        char *v = ch_strdup("value");
        if (v == NULL) {
            rc = CH_E_NOMEM;
            break;
        }
        rc = ch_map_put(m, ch_str_c(k), v);
        if (rc != CH_OK)
            ch_free(v); /* on failure the value stays ours */
    }
    ch_map_free(m);
    return rc;
}

static int body_json(void)
{
    const char *text = "{\"a\": [1, 2, {\"b\": \"c\", \"d\": [true, null]}], "
                       "\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
                       "\"k8\":8,\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,"
                       "\"k15\":15,\"k16\":16,\"k17\":17}";
    struct ch_err err = CH_ERR_INIT;
    cJSON *j = NULL;
    int rc = ch_json_parse(text, strlen(text), NULL, "t", &j, &err);
    cJSON_Delete(j);
    return rc;
}

static int body_arena(void)
{
    struct ch_arena *a = ch_arena_new(1 << 20);
    if (a == NULL)
        return CH_E_NOMEM;
    int rc = CH_OK;
    for (int i = 0; i < 100; i++) {
        if (ch_arena_alloc(a, i % 2 ? 100 : 5000) == NULL) {
            rc = CH_E_NOMEM;
            break;
        }
    }
    ch_arena_free(a);
    return rc;
}

static int body_buf(void)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    for (int i = 0; i < 200; i++)
        (void)ch_buf_appendf(&b, "line %d\n", i);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_buf_status(&b, "text", &err);
    ch_buf_release(&b);
    return rc;
}

static int body_writer(void)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_jw_arr_open(&w);
    for (int i = 0; i < 100; i++)
        ch_jw_cstr(&w, "some string value");
    ch_jw_arr_close(&w);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_jw_finish(&w, &err);
    ch_buf_release(&b);
    return rc;
}

static void test_oom_map(void **state) { oom_loop(body_map, "map"); }
static void test_oom_json(void **state) { oom_loop(body_json, "json parse"); }
static void test_oom_arena(void **state) { oom_loop(body_arena, "arena"); }
static void test_oom_buf(void **state) { oom_loop(body_buf, "buf"); }
static void test_oom_writer(void **state) { oom_loop(body_writer, "json writer"); }

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_map),  cmocka_unit_test(test_oom_json),
        cmocka_unit_test(test_oom_arena), cmocka_unit_test(test_oom_buf),
        cmocka_unit_test(test_oom_writer),
    };
    return cmocka_run_group_tests_name("core oom", tests, NULL, NULL);
}
