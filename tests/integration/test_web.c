/* SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard over real sockets: signing in (pre-session CSRF, cookie
 * flags), the redirect without a session, the security headers, CSRF on
 * every POST, HTML escaping, CSV exports with formula neutralisation, and
 * the authorisation proof: for each role, every page whose data the API
 * refuses (403 for a role, 404 for another organisation's object) is
 * refused by the page with the same status, and a page the API allows is
 * shown; evaluation runs (real runs of example tasks against the reference
 * endpoint) are shown by clearance to evaluators, by organisation and as
 * aggregates to developers, and not at all to partners and operators. Runs
 * on SQLite and (as the _pg twin) with the server on PostgreSQL.
 */
#include "eval_helpers.h"
#include "testhttp.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"

static struct ch_test_server srv;
static char *db_dir;
static char *root;

/* One signed-in user per role, with the session cookie the dashboard set. */
struct who {
    const char *user;
    const char *org;
    const char *roles;
    const char *clearance; /* NULL: the default */
    char token[128];
    char cookie[400]; /* "ch_session=..." */
    char csrf[40];
};

static struct who users[] = {
    {.user = "op-a", .org = "org-a", .roles = "operator"},
    {.user = "op-b", .org = "org-b", .roles = "operator"},
    {.user = "an", .org = "hub", .roles = "analyst"},
    {.user = "pa", .org = "lab", .roles = "partner"},
    {.user = "ev", .org = "hub", .roles = "evaluator"},
    {.user = "dev", .org = "lab", .roles = "developer"},
    /* evaluation runs: two developers' models, an evaluator cleared for a secret suite */
    {.user = "dev-a", .org = "devco-a", .roles = "developer"},
    {.user = "dev-b", .org = "devco-b", .roles = "developer"},
    {.user = "ev-s", .org = "hub", .roles = "evaluator", .clearance = "secret"},
};
#define N_USERS (sizeof(users) / sizeof(users[0]))

static void cli_ok(const char *const *args, struct ch_buf *out)
{
    struct ch_buf err;
    ch_buf_init(&err, 1 << 20);
    int rc = ch_test_server_cli(&srv, args, out, &err);
    if (rc != 0)
        fail_msg("%s %s failed (%d): %s", args[0], args[1], rc, ch_buf_cstr(&err));
    ch_buf_release(&err);
}

/* The value of "name=value" in a Set-Cookie header block, into out. */
static bool cookie_from(const struct ch_test_response *r, const char *name, char *out, size_t size)
{
    const char *h = ch_buf_cstr(&r->headers);
    char key[64];
    snprintf(key, sizeof(key), "set-cookie: %s=", name);
    const char *p = strstr(h, key);
    if (p == NULL)
        return false;
    p += strlen("set-cookie: ");
    size_t n = strcspn(p, ";\r\n");
    if (n >= size)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* The value of the first hidden csrf field of a page. */
static bool csrf_from(const struct ch_test_response *r, char *out, size_t size)
{
    const char *p = strstr(ch_buf_cstr(&r->body), "name=\"csrf\" value=\"");
    if (p == NULL)
        return false;
    p += strlen("name=\"csrf\" value=\"");
    size_t n = strcspn(p, "\"");
    if (n >= size)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static void get(const char *path, const char *cookie, struct ch_test_response *r)
{
    char hdr[600] = "";
    if (cookie != NULL)
        snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", cookie);
    ch_test_response_release(r);
    ch_test_response_init(r);
    assert_int_equal(ch_test_http(srv.port, "GET", path, hdr, NULL, 0, r), 0);
}

static void post(const char *path, const char *cookie, const char *form, struct ch_test_response *r)
{
    char hdr[700] = "Content-Type: application/x-www-form-urlencoded\r\n";
    if (cookie != NULL)
        snprintf(hdr + strlen(hdr), sizeof(hdr) - strlen(hdr), "Cookie: %s\r\n", cookie);
    ch_test_response_release(r);
    ch_test_response_init(r);
    assert_int_equal(ch_test_http(srv.port, "POST", path, hdr, form, strlen(form), r), 0);
}

static void sign_in(struct who *w)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    get("/ui/signin", NULL, &r);
    assert_int_equal(r.status, 200);
    char pre[300], csrf[40], form[400];
    assert_true(cookie_from(&r, "ch_pre", pre, sizeof(pre)));
    assert_true(csrf_from(&r, csrf, sizeof(csrf)));
    snprintf(form, sizeof(form), "csrf=%s&token=%s&next=%%2Fui%%2Fassets", csrf, w->token);
    post("/ui/signin", pre, form, &r);
    assert_int_equal(r.status, 303);
    char loc[128];
    assert_true(ch_test_response_header(&r, "location", loc, sizeof(loc)));
    assert_string_equal(loc, "/ui/assets");
    assert_true(cookie_from(&r, "ch_session", w->cookie, sizeof(w->cookie)));
    get("/ui/", w->cookie, &r);
    assert_int_equal(r.status, 200);
    assert_true(csrf_from(&r, w->csrf, sizeof(w->csrf)));
    ch_test_response_release(&r);
}

static int setup(void **state)
{
    setenv("CLEARINGHOUSE_RATE_LIMIT", "off", 1);
    char *dirs = NULL;
    const char *src = getenv("CH_SOURCE_DIR");
    if (src != NULL) {
        size_t n = strlen(src) + 16;
        dirs = ch_malloc(n);
        snprintf(dirs, n, "%s/directives", src);
        setenv("CLEARINGHOUSE_DIRECTIVES", dirs, 1);
        /* the run pages draw the shipped designation policy's thresholds */
        snprintf(dirs, n, "%s/policies", src);
        setenv("CLEARINGHOUSE_POLICY_DIR", dirs, 1);
    }
    char *url = ch_test_store_url(&db_dir);
    ch_test_server_start(&srv, url, NULL);
    ch_free(url);
    ch_free(dirs);
    root = ch_test_server_admin(&srv, "root");
    static const char *const orgs[][3] = {
        {"org-a", "fceb", "Agency A"},        {"org-b", "fceb", "Agency B"},
        {"hub", "clearinghouse", "Hub"},      {"lab", "partner", "Lab"},
        {"devco-a", "developer", "Dev Co A"}, {"devco-b", "developer", "Dev Co B"}};
    for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++)
        cli_ok((const char *[]){"org", "create", orgs[i][0], "--name", orgs[i][2], "--category",
                                orgs[i][1], NULL},
               NULL);
    for (size_t i = 0; i < N_USERS; i++) {
        cli_ok((const char *[]){"user", "create", users[i].user, "--org", users[i].org, "--roles",
                                users[i].roles, users[i].clearance != NULL ? "--clearance" : NULL,
                                users[i].clearance, NULL},
               NULL);
        struct ch_buf out;
        ch_buf_init(&out, 4096);
        cli_ok((const char *[]){"token", "create", "--user", users[i].user, "--name", "t", NULL},
               &out);
        const char *t = ch_buf_cstr(&out);
        size_t n = strcspn(t, "\r\n");
        assert_true(n > 0 && n < sizeof(users[i].token));
        memcpy(users[i].token, t, n);
        ch_buf_release(&out);
    }
    /* assets whose names would be markup or a spreadsheet formula if not escaped */
    cli_ok((const char *[]){"asset", "add", "a<b>&'\"x", "--org", "org-a", "--internet-facing",
                            "no", "--mission", "high", "--wellbeing", "low", NULL},
           NULL);
    cli_ok((const char *[]){"asset", "add", "=HYPERLINK(1)", "--org", "org-a", "--internet-facing",
                            "no", "--mission", "high", "--wellbeing", "low", NULL},
           NULL);
    cli_ok((const char *[]){"asset", "add", "b-host", "--org", "org-b", "--internet-facing", "yes",
                            "--mission", "low", "--wellbeing", "low", NULL},
           NULL);
    for (size_t i = 0; i < N_USERS; i++)
        sign_in(&users[i]);
    return 0;
}

static int teardown(void **state)
{
    ch_test_server_stop(&srv);
    ch_test_rmtree(db_dir);
    ch_free(db_dir);
    ch_free(root);
    return 0;
}

static struct who *user(const char *name)
{
    for (size_t i = 0; i < N_USERS; i++)
        if (strcmp(users[i].user, name) == 0)
            return &users[i];
    fail_msg("no user %s", name);
    return NULL;
}

static void test_no_session_redirects_to_sign_in(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    static const char *const paths[] = {"/ui/", "/ui/assets", "/ui/exposures/1", "/ui/national",
                                        "/ui/models"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        get(paths[i], NULL, &r);
        assert_int_equal(r.status, 303);
        char loc[256];
        assert_true(ch_test_response_header(&r, "location", loc, sizeof(loc)));
        assert_true(strncmp(loc, "/ui/signin?next=", 16) == 0);
        /* a damaged or foreign cookie is no session either */
        get(paths[i], "ch_session=AAAAforged", &r);
        assert_int_equal(r.status, 303);
    }
    get("/", NULL, &r);
    assert_int_equal(r.status, 303);
    ch_test_response_release(&r);
}

static void test_sign_in_sets_strict_http_only_cookie_and_checks_csrf(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    get("/ui/signin", NULL, &r);
    char pre[300], csrf[40], form[400], hdr[300];
    assert_true(cookie_from(&r, "ch_pre", pre, sizeof(pre)));
    assert_true(csrf_from(&r, csrf, sizeof(csrf)));
    const struct who *w = user("op-a");
    /* no CSRF field, a wrong one, or the right one without its cookie: 403 */
    snprintf(form, sizeof(form), "token=%s", w->token);
    post("/ui/signin", pre, form, &r);
    assert_int_equal(r.status, 403);
    snprintf(form, sizeof(form), "csrf=%032d&token=%s", 0, w->token);
    post("/ui/signin", pre, form, &r);
    assert_int_equal(r.status, 403);
    snprintf(form, sizeof(form), "csrf=%s&token=%s", csrf, w->token);
    post("/ui/signin", NULL, form, &r);
    assert_int_equal(r.status, 403);
    /* a wrong token: the form again, 401 */
    snprintf(form, sizeof(form), "csrf=%s&token=ch_notatoken", csrf);
    post("/ui/signin", pre, form, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(ch_buf_cstr(&r.body), "not valid"));
    /* an open redirect is refused: next outside /ui/ goes to the overview */
    snprintf(form, sizeof(form), "csrf=%s&token=%s&next=https%%3A%%2F%%2Fevil.example%%2F", csrf,
             w->token);
    post("/ui/signin", pre, form, &r);
    assert_int_equal(r.status, 303);
    assert_true(ch_test_response_header(&r, "location", hdr, sizeof(hdr)));
    assert_string_equal(hdr, "/ui/");
    const char *h = ch_buf_cstr(&r.headers);
    const char *sc = strstr(h, "set-cookie: ch_session=");
    assert_non_null(sc);
    size_t line = strcspn(sc, "\r\n");
    char cookie_line[600];
    assert_true(line < sizeof(cookie_line));
    memcpy(cookie_line, sc, line);
    cookie_line[line] = '\0';
    assert_non_null(strstr(cookie_line, "HttpOnly"));
    assert_non_null(strstr(cookie_line, "SameSite=Strict"));
    assert_non_null(strstr(cookie_line, "Path=/"));
    ch_test_response_release(&r);
}

static void test_pages_carry_a_strict_csp(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    static const char *const paths[] = {"/ui/", "/ui/assets", "/ui/compliance", "/ui/exposures"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        get(paths[i], user("op-a")->cookie, &r);
        assert_int_equal(r.status, 200);
        char csp[400], v[64];
        assert_true(ch_test_response_header(&r, "content-security-policy", csp, sizeof(csp)));
        assert_non_null(strstr(csp, "default-src 'none'"));
        assert_non_null(strstr(csp, "script-src 'self'"));
        assert_non_null(strstr(csp, "style-src 'self'"));
        assert_non_null(strstr(csp, "frame-ancestors 'none'"));
        assert_null(strstr(csp, "unsafe-inline"));
        assert_true(ch_test_response_header(&r, "x-content-type-options", v, sizeof(v)));
        assert_true(ch_test_response_header(&r, "content-type", v, sizeof(v)));
        assert_non_null(strstr(v, "text/html"));
        /* no inline script or style for the policy to block */
        assert_null(strstr(ch_buf_cstr(&r.body), "<script>"));
        assert_null(strstr(ch_buf_cstr(&r.body), "style=\""));
        assert_null(strstr(ch_buf_cstr(&r.body), "<style"));
    }
    get("/ui/static/style.css", NULL, &r);
    assert_int_equal(r.status, 200);
    get("/ui/static/layout.html", NULL, &r);
    assert_int_equal(r.status, 404);
    ch_test_response_release(&r);
}

static void test_every_post_needs_the_session_csrf_token(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    struct who *a = user("op-a");
    struct who *b = user("op-b");
    /* without a session: to sign-in, whatever the form says */
    post("/ui/exposures/1/status", NULL, "to=in_progress&reason=x", &r);
    assert_int_equal(r.status, 303);
    /* missing, wrong, or another session's token: 403 */
    post("/ui/exposures/1/status", a->cookie, "to=in_progress&reason=x", &r);
    assert_int_equal(r.status, 403);
    char form[200];
    snprintf(form, sizeof(form), "csrf=%s&to=in_progress&reason=x", b->csrf);
    post("/ui/exposures/1/status", a->cookie, form, &r);
    assert_int_equal(r.status, 403);
    post("/ui/signout", a->cookie, "csrf=00000000000000000000000000000000", &r);
    assert_int_equal(r.status, 403);
    /* with the right token the request is considered: no such exposure here */
    snprintf(form, sizeof(form), "csrf=%s&to=in_progress&reason=x", a->csrf);
    post("/ui/exposures/999/status", a->cookie, form, &r);
    assert_int_equal(r.status, 404);
    /* roles: a partner may not change an exposure, as the page's roles say */
    struct who *pa = user("pa");
    snprintf(form, sizeof(form), "csrf=%s&to=in_progress&reason=x", pa->csrf);
    post("/ui/exposures/1/status", pa->cookie, form, &r);
    assert_int_equal(r.status, 403);
    /* a malformed form is refused, not guessed at */
    snprintf(form, sizeof(form), "csrf=%s&to=%%zz", a->csrf);
    post("/ui/exposures/1/status", a->cookie, form, &r);
    assert_int_equal(r.status, 400);
    ch_test_response_release(&r);
}

static void test_values_are_escaped_and_exports_neutralised(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    get("/ui/assets", user("op-a")->cookie, &r);
    assert_int_equal(r.status, 200);
    const char *body = ch_buf_cstr(&r.body);
    assert_non_null(strstr(body, "a&lt;b&gt;&amp;&#39;&quot;x"));
    assert_null(strstr(body, "a<b>"));
    get("/ui/assets?format=csv", user("op-a")->cookie, &r);
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_true(ch_test_response_header(&r, "content-type", ct, sizeof(ct)));
    assert_non_null(strstr(ct, "text/csv"));
    body = ch_buf_cstr(&r.body);
    assert_non_null(strstr(body, "\n'=HYPERLINK(1),")); /* the name is the first column */
    assert_non_null(strstr(body, "\"a<b>&'\"\"x\""));
    assert_null(strstr(body, "b-host")); /* org-b's asset is not org-a's to export */
    get("/ui/assets?format=json", user("op-a")->cookie, &r);
    cJSON *j = ch_test_response_json(&r);
    assert_int_equal(cJSON_GetArraySize(ch_json_arr(j, "items")), 2);
    cJSON_Delete(j);
    get("/ui/assets?format=xml", user("op-a")->cookie, &r);
    assert_int_equal(r.status, 400);
    ch_test_response_release(&r);
}

/* The id of org-b's asset, from the API as the administrator sees it. */
static int64_t asset_of_b(void)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    ch_test_api_expect(srv.port, "GET", "/api/v1/assets", root, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    int64_t id = 0;
    const cJSON *items = ch_json_arr(j, "items");
    for (const cJSON *a = items != NULL ? items->child : NULL; a != NULL; a = a->next) {
        if (strcmp(ch_json_str(a, "name"), "b-host") == 0)
            id = (int64_t)cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble;
    }
    cJSON_Delete(j);
    ch_test_response_release(&r);
    assert_true(id > 0);
    return id;
}

/*
 * For each role: the page and the API route it shows. Where the API
 * refuses (status >= 400), the page must refuse with the same status;
 * where it answers, the page must be shown.
 */
static void test_pages_refuse_what_the_api_refuses(void **state)
{
    char other_asset_page[64], other_asset_api[64];
    int64_t b_id = asset_of_b();
    snprintf(other_asset_page, sizeof(other_asset_page), "/ui/assets/%lld", (long long)b_id);
    snprintf(other_asset_api, sizeof(other_asset_api), "/api/v1/assets/%lld", (long long)b_id);
    const struct {
        const char *page;
        const char *api;
    } pairs[] = {
        {"/ui/assets", "/api/v1/assets"},
        {other_asset_page, other_asset_api},
        {"/ui/assets/999999", "/api/v1/assets/999999"},
        {"/ui/exposures", "/api/v1/exposures"},
        {"/ui/exposures/999999", "/api/v1/exposures/999999"},
        {"/ui/notices", "/api/v1/notices"},
        {"/ui/leases", "/api/v1/coord/leases"},
        {"/ui/findings", "/api/v1/findings"},
        {"/ui/cases", "/api/v1/cases"},
    };
    struct ch_test_response page, api;
    ch_test_response_init(&page);
    ch_test_response_init(&api);
    size_t refusals = 0;
    for (size_t u = 0; u < N_USERS; u++) {
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
            ch_test_response_release(&api);
            ch_test_response_init(&api);
            ch_test_api(srv.port, "GET", pairs[i].api, users[u].token, NULL, &api);
            get(pairs[i].page, users[u].cookie, &page);
            if (api.status >= 400) {
                refusals++;
                if (page.status != api.status)
                    fail_msg("%s: %s answered %d but the API %s answered %d", users[u].user,
                             pairs[i].page, page.status, pairs[i].api, api.status);
            } else if (page.status != 200) {
                fail_msg("%s: %s answered %d though the API allows it", users[u].user,
                         pairs[i].page, page.status);
            }
        }
    }
    assert_true(refusals >= N_USERS * 2); /* the 404s at least: the test has teeth */
    /* another organisation's asset: 404 for an operator, shown to the analyst */
    get(other_asset_page, user("op-a")->cookie, &page);
    assert_int_equal(page.status, 404);
    assert_null(strstr(ch_buf_cstr(&page.body), "b-host"));
    get(other_asset_page, user("an")->cookie, &page);
    assert_int_equal(page.status, 200);
    assert_non_null(strstr(ch_buf_cstr(&page.body), "b-host"));
    /* pages whose roles are narrower than the API's lists: as declared */
    get("/ui/national", user("op-a")->cookie, &page);
    assert_int_equal(page.status, 403);
    get("/ui/national", user("an")->cookie, &page);
    assert_int_equal(page.status, 200);
    get("/ui/models", user("op-a")->cookie, &page);
    assert_int_equal(page.status, 403);
    get("/ui/models", user("ev")->cookie, &page);
    assert_int_equal(page.status, 200);
    get("/ui/compliance", user("pa")->cookie, &page);
    assert_int_equal(page.status, 403);
    get("/ui/compliance", user("op-a")->cookie, &page);
    assert_int_equal(page.status, 200);
    ch_test_response_release(&page);
    ch_test_response_release(&api);
}

/* `clearinghouse eval run` of the example suite's tasks matching glob on the server's store. */
static int64_t eval_run(const char *suite, const struct et_ref *ref, const char *glob)
{
    char transcripts[1200];
    snprintf(transcripts, sizeof(transcripts), "%s/transcripts", srv.dir);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 20);
    cli_ok((const char *[]){"eval", "run", "--suite", suite, "--model", "refmodel", "--endpoint",
                            ref->endpoint, "--tasks", glob, "--transcripts", transcripts, NULL},
           &out);
    cJSON *sum = NULL;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "run", &sum, &e),
                     CH_OK);
    int64_t run = (int64_t)et_num(sum, "run");
    cJSON_Delete(sum);
    ch_buf_release(&out);
    return run;
}

/* Registers model NAME@1 of org (unclassified), opens a window on it and ties the runs
 * (0-terminated). */
static void tie_runs(const char *name, const char *org, const int64_t *runs)
{
    char today[CH_TIME_STR_MAX], model[64];
    ch_time_format_date(time(NULL), today);
    snprintf(model, sizeof(model), "%s@1", name);
    cli_ok((const char *[]){"model", "add", name, "--version", "1", "--org", org, "--endpoint",
                            "http://127.0.0.1:9/v1", "--classification", "unclassified", NULL},
           NULL);
    struct ch_buf out;
    ch_buf_init(&out, 1 << 16);
    cli_ok((const char *[]){"window", "offer", "--model", model, "--start", today, "--days", "30",
                            NULL},
           &out);
    cJSON *w = NULL;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&out), ch_buf_len(&out), NULL, "window", &w, &e),
                     CH_OK);
    char id[32];
    snprintf(id, sizeof(id), "%.0f", et_num(w, "id"));
    cJSON_Delete(w);
    ch_buf_release(&out);
    cli_ok((const char *[]){"window", "open", id, NULL}, NULL);
    for (size_t i = 0; runs[i] != 0; i++) {
        char run[32];
        snprintf(run, sizeof(run), "%lld", (long long)runs[i]);
        cli_ok((const char *[]){"window", "attach", id, "--run", run, NULL}, NULL);
    }
}

/* Whether the run list of `who` links run `run`. */
static bool lists_run(const char *who, int64_t run)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    get("/ui/runs?per=200", user(who)->cookie, &r);
    assert_int_equal(r.status, 200);
    char href[64];
    snprintf(href, sizeof(href), "href=\"/ui/runs/%lld\"", (long long)run);
    bool found = strstr(ch_buf_cstr(&r.body), href) != NULL;
    ch_test_response_release(&r);
    return found;
}

static int run_page_status(const char *who, int64_t run, struct ch_test_response *r)
{
    char path[64];
    snprintf(path, sizeof(path), "/ui/runs/%lld", (long long)run);
    get(path, user(who)->cookie, r);
    return r->status;
}

/*
 * Real runs of the example suite against the reference endpoint: run_a (a
 * model of devco-a), run_b (a model of devco-b), run_s (the suite sealed as
 * secret, devco-a's model) and run_x (tied to no model). Evaluators see what
 * their clearance reaches; a developer only its organisation's runs, as
 * aggregates; partners and operators no runs page at all.
 */
static void test_runs_are_shown_by_clearance_and_organisation(void **state)
{
    char suite[4096];
    et_suite_path(suite, sizeof(suite));
    struct et_ref ref;
    et_ref_start(&ref, "oracle", NULL);
    int64_t run_a = eval_run(suite, &ref, "mc-0[1-4]");
    int64_t run_b = eval_run(suite, &ref, "mc-0[5-6]");
    int64_t run_x = eval_run(suite, &ref, "mc-07");
    cli_ok((const char *[]){"suite", "seal", suite, "--classification", "secret", NULL}, NULL);
    int64_t run_s = eval_run("sealed:example", &ref, "mc-0[1-2]");
    et_ref_stop(&ref);
    tie_runs("m-a", "devco-a", (const int64_t[]){run_a, run_s, 0});
    tie_runs("m-b", "devco-b", (const int64_t[]){run_b, 0});

    /* evaluators and the analyst: every run up to their clearance */
    assert_true(lists_run("ev", run_a) && lists_run("ev", run_b) && lists_run("ev", run_x));
    assert_false(lists_run("ev", run_s));
    assert_true(lists_run("an", run_x));
    assert_false(lists_run("an", run_s));
    assert_true(lists_run("ev-s", run_s) && lists_run("ev-s", run_a));
    struct ch_test_response r;
    ch_test_response_init(&r);
    assert_int_equal(run_page_status("ev", run_s, &r), 404);
    assert_null(strstr(ch_buf_cstr(&r.body), "sealed:example"));
    assert_int_equal(run_page_status("ev", 999999, &r), 404);
    assert_int_equal(run_page_status("ev-s", run_s, &r), 200);

    /* developers: their organisation's runs only, aggregates without tasks */
    assert_true(lists_run("dev-a", run_a) && lists_run("dev-a", run_s));
    assert_false(lists_run("dev-a", run_b) || lists_run("dev-a", run_x));
    assert_true(lists_run("dev-b", run_b));
    assert_false(lists_run("dev-b", run_a) || lists_run("dev-b", run_s));
    assert_false(lists_run("dev", run_a)); /* a developer of another (partner) organisation */
    assert_int_equal(run_page_status("dev-a", run_b, &r), 404);
    assert_int_equal(run_page_status("dev-b", run_a, &r), 404);
    assert_int_equal(run_page_status("dev-a", run_a, &r), 200);
    assert_non_null(strstr(ch_buf_cstr(&r.body), "id=\"overall-rate\""));
    assert_null(strstr(ch_buf_cstr(&r.body), "mc-01"));
    assert_null(strstr(ch_buf_cstr(&r.body), "id=\"tasks\""));
    /* a secret suite's run: the overall outcome, not even its categories */
    assert_int_equal(run_page_status("dev-a", run_s, &r), 200);
    assert_null(strstr(ch_buf_cstr(&r.body), "id=\"categories\""));
    get("/ui/runs?format=json", user("dev-b")->cookie, &r);
    assert_int_equal(r.status, 200);
    cJSON *items = NULL;
    struct ch_err e = CH_ERR_INIT;
    assert_int_equal(
        ch_json_parse(ch_buf_cstr(&r.body), ch_buf_len(&r.body), NULL, "export", &items, &e),
        CH_OK);
    assert_int_equal(et_num(items, "count"), 1);
    const cJSON *only = cJSON_GetArrayItem(ch_json_arr(items, "items"), 0);
    assert_int_equal(et_num(only, "id"), run_b);
    assert_string_equal(ch_json_str(only, "view"), "outcomes");
    cJSON_Delete(items);

    /* partners and operators: no runs page, no run */
    for (size_t i = 0; i < 2; i++) {
        const char *who = i == 0 ? "pa" : "op-a";
        get("/ui/runs", user(who)->cookie, &r);
        assert_int_equal(r.status, 403);
        assert_int_equal(run_page_status(who, run_a, &r), 403);
    }

    /* the evaluator's page: the report's figures, the chart with the policy threshold */
    assert_int_equal(run_page_status("ev", run_a, &r), 200);
    const char *body = ch_buf_cstr(&r.body);
    cJSON *report = et_report(srv.db_url, run_a);
    char want[96];
    snprintf(want, sizeof(want), "data-rate=\"%.17g\"",
             et_num(ch_json_obj(report, "overall"), "success_rate"));
    assert_non_null(strstr(body, want));
    cJSON_Delete(report);
    assert_non_null(strstr(body, "<svg viewBox"));
    assert_non_null(strstr(body, "<title id=\"score-t\">"));
    assert_non_null(strstr(body, "class=\"threshold\""));
    assert_non_null(strstr(body, "reference threshold 0.25 (real-vulnerability-exploitation)"));
    assert_non_null(strstr(body, "id=\"tasks\""));
    /* the chart is styled by class and drawn without script: the strict CSP holds */
    char csp[400];
    assert_true(ch_test_response_header(&r, "content-security-policy", csp, sizeof(csp)));
    assert_null(strstr(csp, "unsafe-inline"));
    assert_null(strstr(body, "style="));
    assert_null(strstr(body, "<style"));
    assert_null(strstr(body, "<script>"));
    ch_test_response_release(&r);
}

static void test_revoked_token_ends_the_session(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    struct who *d = user("dev");
    get("/ui/models", d->cookie, &r);
    assert_int_equal(r.status, 200);
    /* the developer revokes their only token through the API */
    ch_test_api_expect(srv.port, "GET", "/api/v1/tokens", d->token, NULL, 200, &r);
    cJSON *j = ch_test_response_json(&r);
    int64_t id = 0;
    const cJSON *items = ch_json_arr(j, "items");
    for (const cJSON *t = items != NULL ? items->child : NULL; t != NULL; t = t->next) {
        const char *u = ch_json_str(t, "user");
        if (u != NULL && strcmp(u, "dev") == 0)
            id = (int64_t)cJSON_GetObjectItemCaseSensitive(t, "id")->valuedouble;
    }
    cJSON_Delete(j);
    assert_true(id > 0);
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/tokens/%lld", (long long)id);
    ch_test_response_release(&r);
    ch_test_response_init(&r);
    ch_test_api(srv.port, "DELETE", path, d->token, NULL, &r);
    assert_true(r.status == 200 || r.status == 204);
    get("/ui/models", d->cookie, &r);
    assert_int_equal(r.status, 303);
    ch_test_response_release(&r);
}

static void test_sign_out_clears_the_cookie(void **state)
{
    struct ch_test_response r;
    ch_test_response_init(&r);
    struct who *w = user("ev");
    char form[80];
    snprintf(form, sizeof(form), "csrf=%s", w->csrf);
    post("/ui/signout", w->cookie, form, &r);
    assert_int_equal(r.status, 303);
    assert_non_null(strstr(ch_buf_cstr(&r.headers), "set-cookie: ch_session=; Max-Age=0"));
    ch_test_response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_session_redirects_to_sign_in),
        cmocka_unit_test(test_sign_in_sets_strict_http_only_cookie_and_checks_csrf),
        cmocka_unit_test(test_pages_carry_a_strict_csp),
        cmocka_unit_test(test_every_post_needs_the_session_csrf_token),
        cmocka_unit_test(test_values_are_escaped_and_exports_neutralised),
        cmocka_unit_test(test_pages_refuse_what_the_api_refuses),
        cmocka_unit_test(test_runs_are_shown_by_clearance_and_organisation),
        cmocka_unit_test(test_revoked_token_ends_the_session),
        cmocka_unit_test(test_sign_out_clears_the_cookie),
    };
    return cmocka_run_group_tests_name("web", tests, setup, teardown);
}
