/* SPDX-License-Identifier: Apache-2.0
 *
 * Discovery intake and disclosure end to end on a store (SQLite, and
 * PostgreSQL as test_disclose_case_pg): submissions and their tenancy,
 * validation in the sandbox with deduplication (duplicates, probable
 * duplicates by frames and by component/range/CWE, already known aliases),
 * a full case lifecycle with embargo, a failed and a successful fix
 * verification, publication into the knowledge base and the provider feed
 * (through the HTTP handlers too), and the audit chain.
 */
#include "helpers.h"

#include "audit/audit.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/json.h"
#include "disclose/case.h"
#include "disclose/finding.h"
#include "disclose/publish.h"
#include "http/h_disclose.h"
#include "identity/identity.h"
#include "vuln/kb.h"
#include "vuln/osv.h"

#define TARGET "pkg:generic/recparse@1.0.0"

struct fx {
    char *dir;
    char *root;
    struct ch_store *s;
    int64_t now;
    int64_t acme, rival, libco;
    struct ch_disclose_actor alice, bob, ann, vic, lowly;
    char names[5][64];
};

static struct fx F;

static int64_t at(const char *iso)
{
    int64_t t = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(iso), &t, NULL, &err), CH_OK);
    return t;
}

static int64_t org(const char *slug, enum ch_org_category cat)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_org_new o = {.slug = slug, .name = slug, .category = cat};
    int64_t id = 0;
    if (ch_org_create(F.s, &o, F.now, &id, &err) != CH_OK)
        fail_msg("org: %s", err.msg);
    return id;
}

static void user(int i, const char *name, int64_t org_id, unsigned roles, enum ch_clearance cl,
                 struct ch_disclose_actor *ret)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_user_new u = {.org_id = org_id, .name = name, .roles = roles, .clearance = cl};
    int64_t id = 0;
    if (ch_user_create(F.s, &u, F.now, &id, &err) != CH_OK)
        fail_msg("user: %s", err.msg);
    if (ch_disclose_actor_for_user(F.s, name, F.names[i], sizeof(F.names[i]), ret, &err) != CH_OK)
        fail_msg("actor: %s", err.msg);
}

static int setup(void **state)
{
    (void)state;
    F = (struct fx){.now = at("2026-03-02T09:00:00Z")};
    F.s = ch_test_store(&F.dir);
    F.root = dt_workroot();
    int64_t ch = org("clearinghouse", CH_ORG_CLEARINGHOUSE);
    F.acme = org("acme-ai", CH_ORG_PARTNER);
    F.rival = org("rival-ai", CH_ORG_PARTNER);
    F.libco = org("libco", CH_ORG_PARTNER);
    user(0, "alice", F.acme, CH_ROLE_PARTNER, CH_CLEAR_CUI, &F.alice);
    user(1, "bob", F.rival, CH_ROLE_PARTNER, CH_CLEAR_SECRET, &F.bob);
    user(2, "ann", ch, CH_ROLE_ANALYST, CH_CLEAR_TOP_SECRET, &F.ann);
    user(3, "vic", F.libco, CH_ROLE_PARTNER, CH_CLEAR_UNCLASSIFIED, &F.vic);
    user(4, "lowly", F.acme, CH_ROLE_PARTNER, CH_CLEAR_UNCLASSIFIED, &F.lowly);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ch_store_free(F.s);
    ch_test_rmtree(F.dir);
    ch_free(F.dir);
    ch_test_rmtree(F.root);
    ch_free(F.root);
    return 0;
}

struct sub {
    const char *poc;
    const char *cwe;
    const char *target;
    const char *component;
    enum ch_clearance cls;
    const char *alias;
    const char *expect;
};

static int submit_rc(const struct ch_disclose_actor *a, const struct sub *x, int64_t *ret_id,
                     struct ch_err *err)
{
    struct dt_poc p;
    dt_poc_load(&p, "target", x->poc);
    char *recipe = dt_recipe(x->expect != NULL ? x->expect : "{\"crash\": \"any\"}", 5);
    const char *aliases[] = {x->alias};
    struct ch_finding_new f = {
        .target = x->target != NULL ? x->target : TARGET,
        .ecosystem = "OSS-Fuzz",
        .component = x->component != NULL ? x->component : "recparse",
        .vendor = "Lib Co",
        .version = "1.0.0",
        .introduced = "1.0.0",
        .title = x->poc,
        .cwe = x->cwe != NULL ? x->cwe : "CWE-122",
        .description = "found by a model; see the PoC",
        .classification = x->cls,
        .recipe = recipe,
        .recipe_len = strlen(recipe),
        .files = p.files,
        .n_files = 2,
        .aliases = aliases,
        .n_aliases = x->alias != NULL ? 1 : 0,
    };
    if ((a->roles & CH_ROLE_WIDE) != 0)
        f.org_id = F.acme;
    int rc = ch_finding_submit(F.s, a, &f, F.now, ret_id, err);
    ch_free(recipe);
    dt_poc_release(&p);
    return rc;
}

static int64_t submit(const struct ch_disclose_actor *a, const struct sub *x)
{
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    if (submit_rc(a, x, &id, &err) != CH_OK)
        fail_msg("submit %s: %s", x->poc, err.msg);
    F.now += 60;
    return id;
}

static struct ch_finding_validation validate(int64_t id, unsigned runs)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_repro_options o = {.runs = runs, .work_root = F.root};
    struct ch_finding_validation v;
    int rc = ch_finding_validate(F.s, &F.ann, id, &o, F.now, &v, &err);
    if (rc != CH_OK)
        fail_msg("validate %lld: %s (%s)", (long long)id, err.msg, ch_rc_str(rc));
    F.now += 60;
    return v;
}

/* The finding as the actor sees it, parsed (NULL and *ret_rc set when not visible). */
static cJSON *show(const struct ch_disclose_actor *a, int64_t id, int *ret_rc)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 22);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_finding_show_json(F.s, a, id, &w, &err);
    if (rc == CH_OK)
        rc = ch_jw_finish(&w, &err);
    cJSON *doc = NULL;
    if (rc == CH_OK)
        assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "f", &doc, &err),
                         CH_OK);
    ch_buf_release(&b);
    if (ret_rc != NULL)
        *ret_rc = rc;
    else if (rc != CH_OK)
        fail_msg("show %lld: %s", (long long)id, err.msg);
    return doc;
}

static int list_count(const struct ch_disclose_actor *a)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 22);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_finding_list_json(F.s, a, NULL, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    cJSON *doc = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "l", &doc, &err), CH_OK);
    int n = cJSON_GetArraySize(doc);
    cJSON_Delete(doc);
    ch_buf_release(&b);
    return n;
}

static int64_t audit_count(const char *action)
{
    int64_t n = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_query_int(F.s, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
                                        action, 0, &n, &err),
                     CH_OK);
    return n;
}

static int64_t f_heap; /* the first heap-overflow finding: the case of the lifecycle test */

static void test_submit_and_tenancy(void **state)
{
    (void)state;
    f_heap = submit(&F.alice, &(struct sub){.poc = "heap-overflow",
                                            .expect = "{\"crash\": \"heap-buffer-overflow\"}"});
    int rc = 0;
    cJSON *doc = show(&F.alice, f_heap, NULL);
    assert_string_equal(ch_json_str(doc, "state"), "submitted");
    assert_string_equal(ch_json_str(doc, "org"), "acme-ai");
    const cJSON *files = ch_json_arr(doc, "files");
    assert_int_equal(cJSON_GetArraySize(files), 2);
    assert_int_equal(strlen(ch_json_str(cJSON_GetArrayItem(files, 0), "blake2b")), 64);
    cJSON_Delete(doc);
    /* another partner does not see it, and cannot tell it exists */
    assert_null(show(&F.bob, f_heap, &rc));
    assert_int_equal(rc, CH_E_NOTFOUND);
    assert_int_equal(list_count(&F.bob), 0);
    /* the analyst sees it; so does the submitter's organisation */
    cJSON_Delete(show(&F.ann, f_heap, NULL));
    assert_int_equal(list_count(&F.alice), 1);
    /* classification: a CUI finding is hidden from the same organisation's unclassified user */
    int64_t cui = submit(&F.alice, &(struct sub){.poc = "use-after-free",
                                                 .cls = CH_CLEAR_CUI,
                                                 .target = "pkg:generic/other@2"});
    assert_null(show(&F.lowly, cui, &rc));
    assert_int_equal(rc, CH_E_NOTFOUND);
    assert_int_equal(list_count(&F.lowly), 1);
    assert_int_equal(list_count(&F.alice), 2);
    /* submitting above one's clearance, for another organisation, or without the role */
    struct ch_err err = CH_ERR_INIT;
    int64_t id = 0;
    assert_int_equal(
        submit_rc(&F.alice, &(struct sub){.poc = "null-deref", .cls = CH_CLEAR_SECRET}, &id, &err),
        CH_E_PERM);
    struct ch_disclose_actor nobody = F.bob;
    nobody.roles = CH_ROLE_OPERATOR;
    ch_err_clear(&err);
    assert_int_equal(submit_rc(&nobody, &(struct sub){.poc = "null-deref"}, &id, &err), CH_E_PERM);
    /* input rules */
    ch_err_clear(&err);
    assert_int_equal(
        submit_rc(&F.alice, &(struct sub){.poc = "null-deref", .cwe = "122"}, &id, &err),
        CH_E_INVALID);
    /* a partner may not validate */
    struct ch_finding_validation v;
    ch_err_clear(&err);
    assert_int_equal(ch_finding_validate(F.s, &F.alice, f_heap, NULL, F.now, &v, &err), CH_E_PERM);
    assert_int_equal(audit_count("finding.submit"), 2);
}

static void test_validate_and_dedup(void **state)
{
    (void)state;
    struct ch_finding_validation v = validate(f_heap, 3);
    assert_int_equal(v.outcome, CH_REPRO_REPRODUCED);
    assert_int_equal(v.n_matched, 3);
    assert_int_equal(v.cls, CH_CRASH_HEAP_BUFFER_OVERFLOW);
    assert_int_equal(strlen(v.signature), 64);
    assert_int_equal(v.duplicate_of, 0);
    char sig[CH_SANREPORT_SIG_HEX + 1];
    memcpy(sig, v.signature, sizeof(sig));
    /* the log is stored with the run */
    struct ch_buf log;
    ch_buf_init(&log, 1 << 22);
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(F.s, "SELECT log FROM disclose_runs WHERE id = ?", &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, v.run_id);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    struct ch_str l = ch_stmt_blob(st, 0);
    ch_buf_append(&log, l.ptr, l.len);
    ch_stmt_reset(st);
    assert_true(ch_test_contains(ch_buf_cstr(&log), "AddressSanitizer: heap-buffer-overflow"));
    assert_true(ch_test_contains(ch_buf_cstr(&log), "== build: gcc"));
    ch_buf_release(&log);

    /* another partner reaches the same bug later: a duplicate; the credit stays with acme */
    int64_t dup = submit(&F.bob, &(struct sub){.poc = "heap-overflow-2"});
    v = validate(dup, 1);
    assert_int_equal(v.outcome, CH_REPRO_REPRODUCED);
    assert_string_equal(v.signature, sig);
    assert_int_equal(v.duplicate_of, f_heap);
    assert_string_equal(v.state, "duplicate");
    cJSON *doc = show(&F.ann, dup, NULL);
    assert_string_equal(ch_json_str(doc, "state"), "duplicate");
    cJSON_Delete(doc);

    /* a different bug in the same function: a different signature, a probable duplicate */
    int64_t dfree = submit(&F.bob, &(struct sub){.poc = "double-free", .cwe = "CWE-415"});
    v = validate(dfree, 1);
    assert_int_equal(v.outcome, CH_REPRO_REPRODUCED);
    assert_int_equal(v.cls, CH_CRASH_DOUBLE_FREE);
    assert_string_not_equal(v.signature, sig);
    assert_int_equal(v.duplicate_of, 0);
    assert_int_equal(v.n_probable, 1);
    doc = show(&F.ann, dfree, NULL);
    const cJSON *m = cJSON_GetArrayItem(ch_json_arr(doc, "matches"), 0);
    assert_string_equal(ch_json_str(m, "kind"), "probable");
    assert_string_equal(ch_json_str(m, "status"), "open");
    assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(m, "finding")->valuedouble, f_heap);
    int64_t match = (int64_t)cJSON_GetObjectItemCaseSensitive(m, "id")->valuedouble;
    cJSON_Delete(doc);
    /* the analyst dismisses it */
    assert_int_equal(ch_finding_match_resolve(F.s, &F.ann, 0, match, false, F.now, &err), CH_OK);
    assert_int_equal(ch_finding_match_resolve(F.s, &F.ann, 0, match, false, F.now, &err),
                     CH_E_NOTFOUND);

    /* another bug labelled with the same component, range and CWE: probable as well */
    int64_t same = submit(&F.bob, &(struct sub){.poc = "integer-overflow"});
    v = validate(same, 1);
    assert_int_equal(v.cls, CH_CRASH_SIGNED_INTEGER_OVERFLOW);
    assert_true(v.n_probable >= 1);
    doc = show(&F.ann, same, NULL);
    bool range_match = false;
    const cJSON *ms = ch_json_arr(doc, "matches");
    for (const cJSON *e = ms != NULL ? ms->child : NULL; e != NULL; e = e->next)
        range_match =
            range_match || ch_test_contains(ch_json_str(e, "reason"), "same component, affected");
    assert_true(range_match);
    cJSON_Delete(doc);

    /* a harmless PoC does not reproduce */
    int64_t ok = submit(&F.bob, &(struct sub){.poc = "null-deref-ok", .target = "pkg:x/y@1"});
    v = validate(ok, 1);
    assert_int_equal(v.outcome, CH_REPRO_NOT_REPRODUCED);
    assert_string_equal(v.state, "not_reproduced");

    /* an alias the knowledge base holds: already known */
    static const char osv[] =
        "{\"id\": \"GHSA-reca-rsep-0001\", \"modified\": \"2026-01-01T00:00:00Z\","
        " \"aliases\": [\"CVE-2099-0001\"], \"summary\": \"known\"}";
    struct ch_arena *arena = ch_arena_new(1 << 20);
    struct ch_advisory adv;
    assert_int_equal(ch_osv_read(osv, sizeof(osv) - 1, "osv", arena, &adv, &err), CH_OK);
    struct ch_kb_writer kw;
    ch_kb_writer_init(&kw, F.s, F.now, NULL);
    enum ch_kb_outcome o;
    assert_int_equal(ch_kb_put_advisory(&kw, &adv, &o, &err), CH_OK);
    ch_kb_writer_release(&kw);
    ch_arena_free(arena);
    int64_t known = submit(
        &F.bob,
        &(struct sub){.poc = "use-after-free", .alias = "CVE-2099-0001", .target = "pkg:x/z@1"});
    v = validate(known, 1);
    assert_string_equal(v.known_vuln, "CVE-2099-0001");
    assert_int_equal(v.cls, CH_CRASH_HEAP_USE_AFTER_FREE);
    assert_true(audit_count("finding.validate") >= 6);
    assert_int_equal(audit_count("finding.duplicate"), 1);
}

/* Credit goes to the first submission even when the later one is validated first. */
static void test_credit_goes_to_the_first_submission(void **state)
{
    (void)state;
    const char *target = "pkg:generic/credit@1";
    int64_t first = submit(&F.alice, &(struct sub){.poc = "null-deref", .target = target});
    int64_t second = submit(&F.bob, &(struct sub){.poc = "null-deref", .target = target});
    struct ch_finding_validation v = validate(second, 1);
    assert_int_equal(v.duplicate_of, 0);
    v = validate(first, 1);
    assert_int_equal(v.duplicate_of, 0);
    cJSON *doc = show(&F.ann, second, NULL);
    assert_string_equal(ch_json_str(doc, "state"), "duplicate");
    assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(doc, "duplicate_of")->valuedouble,
                     first);
    cJSON_Delete(doc);
}

static enum ch_case_state case_state(int64_t id)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(F.s, "SELECT state FROM disclose_cases WHERE id = ?", &st, &err),
                     CH_OK);
    ch_stmt_bind_int(st, 1, id);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    enum ch_case_state s;
    assert_int_equal(ch_case_state_parse(ch_stmt_cstr(st, 0), &s), CH_OK);
    ch_stmt_reset(st);
    return s;
}

static struct ch_case_fix_result verify(int64_t id, const char *target_dir, const char *version)
{
    struct dt_poc p;
    dt_poc_load(&p, target_dir, "heap-overflow");
    static const char fix_recipe[] =
        "{\"build\": [[\"gcc\", \"-g\", \"-O0\", \"-fsanitize=address,undefined\","
        " \"-fno-sanitize-recover=all\", \"-o\", \"target\", \"target.c\"]]}";
    struct ch_case_fix fix = {.recipe = fix_recipe,
                              .recipe_len = sizeof(fix_recipe) - 1,
                              .files = p.files, /* target.c only: the PoC stays the finding's */
                              .n_files = 1,
                              .fixed_version = version};
    struct ch_repro_options o = {.runs = 2, .work_root = F.root};
    struct ch_case_fix_result r;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_case_verify_fix(F.s, &F.ann, id, &fix, &o, F.now, &r, &err);
    if (rc != CH_OK)
        fail_msg("verify-fix: %s", err.msg);
    dt_poc_release(&p);
    F.now += 60;
    return r;
}

/* Calls an HTTP handler as the server would, on this store. */
static int call_handler(ch_http_handler_fn h, const char *p0, const char *p1, struct ch_buf *out)
{
    static const struct ch_disclose_publisher conf = {.base_url = "https://ch.example.gov"};
    struct ch_app app = {.clock = CH_CLOCK_FIXED(F.now), .publisher = &conf};
    struct ch_http_call call = {.app = &app, .store = F.s, .arena = ch_arena_new(1 << 20)};
    ch_buf_init(&call.res.body, CH_HTTP_MAX_RESPONSE);
    call.err = (struct ch_err)CH_ERR_INIT;
    if (p0 != NULL)
        call.req.params[call.req.n_params++] = ch_str_c(p0);
    if (p1 != NULL)
        call.req.params[call.req.n_params++] = ch_str_c(p1);
    int rc = h(&call);
    ch_buf_reset(out);
    ch_buf_append(out, ch_buf_cstr(&call.res.body), ch_buf_len(&call.res.body));
    ch_buf_release(&call.res.body);
    ch_arena_free(call.arena);
    return rc;
}

static void test_case_lifecycle_and_publication(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_case_open o = {.finding_id = f_heap, .vendor_org_id = F.libco};
    int64_t id = 0;
    assert_int_equal(ch_case_open(F.s, &F.alice, &o, F.now, &id, &err), CH_E_PERM);
    ch_err_clear(&err);
    assert_int_equal(ch_case_open(F.s, &F.ann, &o, F.now, &id, &err), CH_OK);
    assert_int_equal(ch_case_open(F.s, &F.ann, &o, F.now, &id, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    /* the vendor now has need-to-know: it sees the case and its finding; another partner does not
     */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 22);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_case_show_json(F.s, &F.vic, id, &w, &err), CH_OK);
    cJSON_Delete(show(&F.vic, f_heap, NULL));
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_case_show_json(F.s, &F.bob, id, &w, &err), CH_E_NOTFOUND);
    ch_err_clear(&err);
    /* only allowed edges; fix_available and published have their own doors */
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_TRIAGED, NULL, F.now, &err),
                     CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_FIX_AVAILABLE, NULL, F.now, &err),
                     CH_E_CONFLICT);
    ch_err_clear(&err);
    int64_t validated_at = F.now;
    assert_int_equal(
        ch_case_transition(F.s, &F.ann, id, CH_CASE_VALIDATED, "reproduced 3/3", F.now, &err),
        CH_OK);
    int64_t until = 0;
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT embargo_until FROM disclose_cases WHERE"
                                        " CAST(id AS TEXT) = ?",
                                        "1", 0, &until, &err),
                     CH_OK);
    assert_int_equal(until, validated_at + 90 * CH_DAY_SECONDS);
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_TRIAGED, NULL, F.now, &err),
                     CH_OK);
    /* not published while under embargo and without a fix */
    struct ch_case_published pub;
    struct ch_disclose_publisher who = {.base_url = "https://ch.example.gov"};
    assert_int_equal(ch_case_publish(F.s, &F.ann, id, &who, F.now, &pub, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    assert_int_equal(
        ch_case_transition(F.s, &F.ann, id, CH_CASE_VENDOR_NOTIFIED, NULL, F.now, &err), CH_OK);

    /* the vulnerable source rebuilt: still crashes, the case stays */
    struct ch_case_fix_result r = verify(id, "target", "1.0.1");
    assert_false(r.fixed);
    assert_int_equal(r.outcome, CH_REPRO_REPRODUCED);
    assert_int_equal(case_state(id), CH_CASE_VENDOR_NOTIFIED);
    /* the patched build: the same PoC no longer crashes */
    r = verify(id, "target-fixed", "1.0.1");
    assert_true(r.fixed);
    assert_int_equal(r.outcome, CH_REPRO_NOT_REPRODUCED);
    assert_int_equal(case_state(id), CH_CASE_FIX_AVAILABLE);

    /* publication */
    assert_int_equal(ch_case_publish(F.s, &F.bob, id, &who, F.now, &pub, &err), CH_E_PERM);
    ch_err_clear(&err);
    if (ch_case_publish(F.s, &F.ann, id, &who, F.now, &pub, &err) != CH_OK)
        fail_msg("publish: %s", err.msg);
    assert_string_equal(pub.advisory_id, "CH-2026-0001");
    assert_string_equal(pub.osv_id, "x_CH-2026-0001");
    assert_string_equal(pub.csaf_path, "white/2026/ch-2026-0001.json");
    assert_int_equal(case_state(id), CH_CASE_PUBLISHED);
    assert_int_equal(ch_case_publish(F.s, &F.ann, id, &who, F.now, &pub, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    /* in the knowledge base: the CH id, the OSV id and the CSAF record are one vulnerability */
    int64_t v1 = 0;
    int64_t v2 = 0;
    assert_int_equal(ch_kb_find_vuln(F.s, "CH-2026-0001", &v1, &err), CH_OK);
    assert_int_equal(ch_kb_find_vuln(F.s, "x_CH-2026-0001", &v2, &err), CH_OK);
    assert_int_equal(v1, v2);
    assert_int_equal(v1, pub.kb_vuln_id);
    int64_t n = 0;
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT COUNT(*) FROM advisories WHERE vuln_id ="
                                        " (SELECT vuln_id FROM vuln_keys WHERE key = ?)",
                                        "CH-2026-0001", 0, &n, &err),
                     CH_OK);
    assert_int_equal(n, 2); /* osv + csaf */
    /* the published event for notices */
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_published_since_json(F.s, 0, 10, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"vuln_key\":\"CH-2026-0001\""));

    /* the provider feed over HTTP handlers */
    assert_int_equal(call_handler(ch_h_csaf_rolie_feed, NULL, NULL, &b), CH_OK);
    assert_true(ch_test_contains(
        ch_buf_cstr(&b), "https://ch.example.gov/.well-known/csaf/white/2026/ch-2026-0001.json"));
    assert_int_equal(call_handler(ch_h_csaf_provider_metadata, NULL, NULL, &b), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"role\":\"csaf_provider\""));
    assert_int_equal(call_handler(ch_h_csaf_document, "2026", "ch-2026-0001.json", &b), CH_OK);
    cJSON *csaf = NULL;
    assert_int_equal(ch_json_parse(ch_buf_cstr(&b), ch_buf_len(&b), NULL, "csaf", &csaf, &err),
                     CH_OK);
    assert_string_equal(ch_json_str(ch_json_obj(ch_json_obj(csaf, "document"), "tracking"), "id"),
                        "CH-2026-0001");
    cJSON_Delete(csaf);
    assert_int_equal(call_handler(ch_h_csaf_document, "2026", "ch-2026-0002.json", &b),
                     CH_E_NOTFOUND);
    assert_int_equal(call_handler(ch_h_csaf_document, "2026", "../../etc.json", &b), CH_E_NOTFOUND);

    /* the published documents pass the standard validators */
    struct ch_stmt *st = NULL;
    assert_int_equal(ch_store_stmt(F.s, "SELECT csaf, osv FROM published_advisories", &st, &err),
                     CH_OK);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    struct ch_str c = ch_stmt_text(st, 0);
    struct ch_str ov = ch_stmt_text(st, 1);
    char *cp = dt_write(F.root, "published.csaf.json", c.ptr, c.len);
    char *op = dt_write(F.root, "published.osv.json", ov.ptr, ov.len);
    ch_stmt_reset(st);
    const char *cargs[] = {cp, NULL};
    if (dt_validate("csaf", cargs, &b) != 0)
        fail_msg("published CSAF fails validation:\n%s", ch_buf_cstr(&b));
    char *schema = ch_test_shared("osv/schema/validation/schema.json");
    if (schema != NULL) {
        const char *oargs[] = {schema, op, NULL};
        if (dt_validate("osv", oargs, &b) != 0)
            fail_msg("published OSV fails the schema:\n%s", ch_buf_cstr(&b));
        ch_free(schema);
    }
    ch_free(cp);
    ch_free(op);
    ch_buf_release(&b);
    assert_int_equal(audit_count("case.publish"), 1);
    assert_int_equal(audit_count("case.verify_fix"), 2);
}

static void test_embargo_when_exploited(void **state)
{
    (void)state;
    struct ch_err err = CH_ERR_INIT;
    int64_t f = submit(&F.alice,
                       &(struct sub){.poc = "use-after-free", .target = "pkg:generic/exploited@3"});
    assert_int_equal(validate(f, 1).outcome, CH_REPRO_REPRODUCED);
    struct ch_case_open o = {.finding_id = f, .exploited = true};
    int64_t id = 0;
    assert_int_equal(ch_case_open(F.s, &F.ann, &o, F.now, &id, &err), CH_OK);
    int64_t validated = F.now;
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_VALIDATED, NULL, F.now, &err),
                     CH_OK);
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    int64_t until = 0;
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT embargo_until FROM disclose_cases WHERE"
                                        " CAST(id AS TEXT) = ?",
                                        idtext, 0, &until, &err),
                     CH_OK);
    assert_int_equal(until, validated + 7 * CH_DAY_SECONDS);
    /* once the embargo is over the case is published without a fix */
    struct ch_case_published pub;
    assert_int_equal(ch_case_publish(F.s, &F.ann, id, NULL, until - 1, &pub, &err), CH_E_CONFLICT);
    ch_err_clear(&err);
    if (ch_case_publish(F.s, &F.ann, id, NULL, until, &pub, &err) != CH_OK)
        fail_msg("publish after the embargo: %s", err.msg);
    assert_string_equal(pub.advisory_id, "CH-2026-0002");
    /* a default case shortened later by marking it exploited */
    int64_t g =
        submit(&F.alice, &(struct sub){.poc = "integer-overflow", .target = "pkg:generic/late@1"});
    assert_int_equal(validate(g, 1).outcome, CH_REPRO_REPRODUCED);
    o = (struct ch_case_open){.finding_id = g};
    assert_int_equal(ch_case_open(F.s, &F.ann, &o, F.now, &id, &err), CH_OK);
    assert_int_equal(ch_case_transition(F.s, &F.ann, id, CH_CASE_VALIDATED, NULL, F.now, &err),
                     CH_OK);
    int64_t marked = F.now + 86400;
    assert_int_equal(ch_case_mark_exploited(F.s, &F.ann, id, 3, marked, &err), CH_OK);
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    assert_int_equal(ch_store_query_int(F.s,
                                        "SELECT embargo_until FROM disclose_cases WHERE"
                                        " CAST(id AS TEXT) = ?",
                                        idtext, 0, &until, &err),
                     CH_OK);
    assert_int_equal(until, marked + 3 * CH_DAY_SECONDS);
}

static void test_audit_chain_holds(void **state)
{
    (void)state;
    struct ch_audit_report r;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_audit_verify(F.s, NULL, &r, &err), CH_OK);
    if (!r.ok)
        fail_msg("audit chain: %s at %lld", r.problem, (long long)r.first_bad_seq);
    assert_true(r.entries > 20);
}

int main(void)
{
    ch_json_global_init();
    dt_require_sandbox();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_and_tenancy),
        cmocka_unit_test(test_validate_and_dedup),
        cmocka_unit_test(test_credit_goes_to_the_first_submission),
        cmocka_unit_test(test_case_lifecycle_and_publication),
        cmocka_unit_test(test_embargo_when_exploited),
        cmocka_unit_test(test_audit_chain_holds),
    };
    return cmocka_run_group_tests_name("disclose/case", tests, setup, teardown);
}
