/* SPDX-License-Identifier: Apache-2.0
 *
 * test_exposure.c: exposures end to end on a real store (SQLite, and
 * PostgreSQL through the _pg twin): every row of the BOD 26-04 table
 * reached through real exposures, end-of-day boundaries, the change of
 * regime on 2026-06-10, KEV due dates before their dateAdded, several
 * directives on one exposure, risk acceptance expiring, an exposure
 * disappearing and returning, notices from incremental recomputation,
 * incremental = full, compliance as of past dates replayed, and tenancy.
 * Every clock is fixed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/num.h"
#include "identity/identity.h"
#include "remediate/exposure.h"
#include "remediate/report.h"
#include "testutil.h"
#include "vuln/kb.h"

struct env {
    char *dir;
    char *url;
    struct ch_store *s;
    struct ch_directive_set *set;
    struct ch_rem_ctx ctx;
    int64_t fceb, dod, nss;
};

static int64_t T(const char *iso)
{
    int64_t t = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_time_parse(ch_str_c(iso), &t, NULL, &err), CH_OK);
    return t;
}

static void env_open(struct env *e, const char *now)
{
    memset(e, 0, sizeof(*e));
    e->url = ch_test_store_url(&e->dir);
    struct ch_err oerr = CH_ERR_INIT;
    if (ch_store_open(e->url, NULL, &e->s, &oerr) != CH_OK)
        fail_msg("cannot open test store: %s", oerr.msg);
    const char *root = getenv("CH_SOURCE_DIR");
    assert_non_null(root);
    char path[4096];
    snprintf(path, sizeof(path), "%s/directives", root);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_directive_set_load(path, &e->set, &err), CH_OK);
    e->ctx =
        (struct ch_rem_ctx){.store = e->s, .directives = e->set, .now = T(now), .actor = "test"};
    struct ch_org_new o = {.slug = "agency", .name = "Agency", .category = CH_ORG_FCEB};
    assert_int_equal(ch_org_create(e->s, &o, e->ctx.now, &e->fceb, &err), CH_OK);
    o = (struct ch_org_new){.slug = "army", .name = "Army", .category = CH_ORG_DOD};
    assert_int_equal(ch_org_create(e->s, &o, e->ctx.now, &e->dod, &err), CH_OK);
    o = (struct ch_org_new){.slug = "navy-nss", .name = "NSS", .category = CH_ORG_NSS};
    assert_int_equal(ch_org_create(e->s, &o, e->ctx.now, &e->nss, &err), CH_OK);
}

static void env_close(struct env *e)
{
    ch_store_free(e->s);
    ch_directive_set_free(e->set);
    ch_test_rmtree(e->dir);
    ch_free(e->dir);
    ch_free(e->url);
}

/* An OSV-like advisory: package pkg (PyPI) affected below `fixed`. */
struct adv {
    const char *id;
    const char *cve;
    const char *pkg;
    const char *fixed;
    const char *automatable; /* ADP; NULL: none */
    const char *impact;
    const char *vector; /* CVSS vector or NULL */
};

static void put_adv(struct env *e, const struct adv *a)
{
    struct ch_advisory ad;
    ch_advisory_init(&ad, CH_ADV_OSV);
    ad.id = a->id;
    const char *aliases[1] = {a->cve};
    ad.aliases = aliases;
    ad.n_aliases = a->cve != NULL ? 1 : 0;
    ad.modified = e->ctx.now;
    ad.summary = a->id;
    struct ch_adv_event ev[2] = {{CH_ADV_INTRODUCED, "0"}, {CH_ADV_FIXED, a->fixed}};
    struct ch_adv_range rg = {.type = "ECOSYSTEM", .events = ev, .n_events = 2};
    struct ch_adv_affected af = {.ecosystem = "PyPI", .name = a->pkg, .ranges = &rg, .n_ranges = 1};
    ad.affected = &af;
    ad.n_affected = 1;
    struct ch_adv_severity sev = {.type = "CVSS_V3", .score = a->vector};
    if (a->vector != NULL) {
        ad.severity = &sev;
        ad.n_severity = 1;
    }
    if (a->automatable != NULL) {
        ad.has_ssvc = true;
        ad.ssvc = (struct ch_adv_ssvc){.exploitation = "none",
                                       .automatable = a->automatable,
                                       .technical_impact = a->impact,
                                       .timestamp = -1};
    }
    char raw[512];
    snprintf(raw, sizeof(raw), "{\"id\":\"%s\",\"fixed\":\"%s\",\"v\":\"%s\",\"t\":%lld}", a->id,
             a->fixed, a->vector != NULL ? a->vector : "", (long long)e->ctx.now);
    ad.raw = ch_str_c(raw);
    struct ch_kb_writer w;
    ch_kb_writer_init(&w, e->s, e->ctx.now, ch_kb_score_cvss);
    enum ch_kb_outcome out;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_kb_put_advisory(&w, &ad, &out, &err), CH_OK);
    ch_kb_writer_release(&w);
}

static void put_kev(struct env *e, const char *cve, const char *added, const char *due)
{
    struct ch_kev_entry k = {.cve = cve, .date_added = T(added), .due_date = T(due)};
    struct ch_kb_writer w;
    ch_kb_writer_init(&w, e->s, e->ctx.now, NULL);
    enum ch_kb_outcome out;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_kb_put_kev(&w, &k, &out, &err), CH_OK);
    ch_kb_writer_release(&w);
}

static int64_t add_asset(struct env *e, int64_t org, const char *name, enum ch_asset_exposure x)
{
    struct ch_asset_new a = {.org_id = org,
                             .name = name,
                             .internet_facing = x,
                             .mission = CH_IMPACT_MEDIUM,
                             .wellbeing = CH_IMPACT_MEDIUM};
    int64_t id = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_asset_create(&e->ctx, &a, &id, &err), CH_OK);
    return id;
}

static void attach(struct env *e, int64_t asset, const char *requirements)
{
    struct ch_inventory_attach in = {.asset_id = asset,
                                     .file_name = "requirements.txt",
                                     .data = requirements,
                                     .len = strlen(requirements)};
    int64_t version = 0;
    struct ch_exposure_stats st;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_asset_attach_inventory(&e->ctx, 0, &in, &version, &st, &err);
    if (rc != CH_OK)
        fail_msg("attach: %s", err.msg);
}

/* A column of the exposure of (asset, package) as text ("" for NULL). */
static void col(struct env *e, int64_t asset, const char *pkg, const char *column, char *out,
                size_t size)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT CAST(%s AS TEXT) FROM exposures WHERE asset_id = ? AND package = ?", column);
    struct ch_stmt *st = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_prepare(e->s, sql, &st, &err), CH_OK);
    ch_stmt_bind_int(st, 1, asset);
    ch_stmt_bind_cstr(st, 2, pkg);
    assert_int_equal(ch_stmt_step(st, &err), 1);
    const char *v = ch_stmt_cstr(st, 0);
    snprintf(out, size, "%s", v != NULL ? v : "");
    ch_stmt_free(st);
}

static int64_t icol(struct env *e, int64_t asset, const char *pkg, const char *column)
{
    char v[64];
    col(e, asset, pkg, column, v, sizeof(v));
    if (v[0] == '\0')
        return -1;
    int64_t n = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_num_parse_i64(ch_str_c(v), INT64_MIN, INT64_MAX, &n, &err), CH_OK);
    return n;
}

static void pending(struct env *e, const char *now, struct ch_exposure_stats *st)
{
    e->ctx.now = T(now);
    struct ch_err err = CH_ERR_INIT;
    struct ch_exposure_stats local;
    int rc = ch_exposure_recompute_pending(&e->ctx, st != NULL ? st : &local, &err);
    if (rc != CH_OK)
        fail_msg("recompute: %s", err.msg);
}

/* ---- BOD 26-04: all 16 rows ------------------------------------------- */

static void test_bod2604_all_rows(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T12:00:00Z");
    /* 8 vulnerabilities: KEV x Automatable x Technical Impact */
    static const char *const yn[] = {"no", "yes"};
    static const char *const ti[] = {"partial", "total"};
    char ids[8][32], cves[8][32], pkgs[8][32];
    char req[512] = "";
    for (int i = 0; i < 8; i++) {
        snprintf(ids[i], sizeof(ids[i]), "PYSEC-TEST-%d", i);
        snprintf(cves[i], sizeof(cves[i]), "CVE-2026-100%d", i);
        snprintf(pkgs[i], sizeof(pkgs[i]), "pkg%d", i);
        struct adv a = {ids[i], cves[i], pkgs[i], "2.0", yn[(i >> 1) & 1], ti[i & 1], NULL};
        put_adv(&e, &a);
        if (i & 4)
            put_kev(&e, cves[i], "2026-01-05", "2026-01-26");
        size_t used = strlen(req);
        snprintf(req + used, sizeof(req) - used, "%s==1.0\n", pkgs[i]);
    }
    int64_t exposed = add_asset(&e, e.fceb, "web", CH_ASSET_EXPOSED_YES);
    int64_t internal = add_asset(&e, e.fceb, "db", CH_ASSET_EXPOSED_NO);
    int64_t unknown = add_asset(&e, e.fceb, "misc", CH_ASSET_EXPOSED_UNKNOWN);
    attach(&e, exposed, req);
    attach(&e, internal, req);
    attach(&e, unknown, req);
    /* the published table (directives/ssvc/cisa_bod_26_04_1_0_0.csv), by KEV, PE, A, TI */
    struct {
        int kev, pe, a, t;
        const char *outcome;
    } rows[16] = {
        {0, 0, 0, 0, "Fix on system upgrade"},
        {1, 0, 0, 0, "14 days"},
        {0, 1, 0, 0, "60 days"},
        {0, 0, 1, 0, "60 days"},
        {0, 0, 0, 1, "Fix on system upgrade"},
        {1, 1, 0, 0, "14 days"},
        {1, 0, 1, 0, "14 days"},
        {0, 1, 1, 0, "14 days"},
        {1, 0, 0, 1, "14 days"},
        {0, 1, 0, 1, "14 days"},
        {0, 0, 1, 1, "60 days"},
        {1, 1, 1, 0, "3 days"},
        {1, 1, 0, 1, "3 days & forensic investigation"},
        {1, 0, 1, 1, "3 days & forensic investigation"},
        {0, 1, 1, 1, "3 days"},
        {1, 1, 1, 1, "3 days & forensic investigation"},
    };
    for (int r = 0; r < 16; r++) {
        int i = rows[r].kev * 4 + rows[r].a * 2 + rows[r].t;
        int64_t asset = rows[r].pe ? exposed : internal;
        char outcome[128], want[128];
        col(&e, asset, pkgs[i], "outcome", outcome, sizeof(outcome));
        snprintf(want, sizeof(want), "BOD-26-04: %s", rows[r].outcome);
        if (strcmp(outcome, want) != 0)
            fail_msg("row %d: got '%s', want '%s'", r, outcome, want);
        if (rows[r].pe) { /* unknown counts as exposed */
            char o2[128];
            col(&e, unknown, pkgs[i], "outcome", o2, sizeof(o2));
            assert_string_equal(o2, want);
        }
        int64_t due = icol(&e, asset, pkgs[i], "due_at");
        const char *o = rows[r].outcome;
        int days = o[0] == '3' ? 3 : o[0] == '1' ? 14 : o[0] == '6' ? 60 : -1;
        /* KEV tier (2026-01-05) precedes detection: the clock starts at detection */
        assert_int_equal(due, days < 0 ? -1 : T("2026-07-01") + (days + 1) * 86400 - 1);
        char forensic[8];
        col(&e, asset, pkgs[i], "forensic", forensic, sizeof(forensic));
        assert_string_equal(forensic, strstr(o, "forensic") != NULL ? "1" : "0");
    }
    /* a forensic triage task was opened for each 3DF exposure */
    int64_t tasks = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(
        ch_store_query_int(e.s, "SELECT COUNT(*) FROM remediation_tasks", NULL, 0, &tasks, &err),
        CH_OK);
    assert_int_equal(tasks, 2 /* exposed */ + 2 /* unknown */ + 1 /* internal: KEV,A,TI */);
    env_close(&e);
}

/* ---- boundaries, regime change, KEV dates, several directives ---------- */

static void compliance(struct env *e, int64_t as_of, struct ch_buf *out)
{
    ch_buf_reset(out);
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_compliance_json(e->s, e->set, 0, as_of, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
}

static void test_end_of_day_boundary(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T15:00:00Z");
    /* KEV, automatable, partial on an exposed asset: 3 days */
    struct adv a = {"PYSEC-B-1", "CVE-2026-2001", "alpha", "2.0", "yes", "partial", NULL};
    put_adv(&e, &a);
    struct adv b = {"PYSEC-B-2", "CVE-2026-2002", "beta", "2.0", "yes", "partial", NULL};
    put_adv(&e, &b);
    put_kev(&e, "CVE-2026-2001", "2026-06-20", "2026-07-11");
    put_kev(&e, "CVE-2026-2002", "2026-06-20", "2026-07-11");
    int64_t x = add_asset(&e, e.fceb, "x", CH_ASSET_EXPOSED_YES);
    attach(&e, x, "alpha==1.0\nbeta==1.0\n");
    assert_int_equal(icol(&e, x, "alpha", "due_at"), T("2026-07-04T23:59:59Z"));
    /* alpha fixed at the last on-time second, beta a minute after the deadline */
    e.ctx.now = T("2026-07-04T23:59:59Z");
    attach(&e, x, "alpha==2.0\nbeta==1.0\n");
    e.ctx.now = T("2026-07-05T00:00:59Z");
    attach(&e, x, "alpha==2.0\nbeta==2.0\n");
    struct ch_buf b1;
    ch_buf_init(&b1, 1 << 20);
    compliance(&e, T("2026-07-06T00:00:00Z"), &b1);
    const char *j = ch_buf_cstr(&b1);
    assert_true(ch_test_contains(j, "\"directive\":\"BOD-26-04\""));
    assert_true(ch_test_contains(j, "\"remediated_on_time\":1"));
    assert_true(ch_test_contains(j, "\"remediated_late\":1"));
    ch_buf_release(&b1);
    env_close(&e);
}

static void test_regime_change_and_several_directives(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-06-09T12:00:00Z");
    /* critical CVSS, in KEV with a due date far away: 19-02 (15 days) and 22-01 both apply */
    struct adv a = {"PYSEC-R-1",
                    "CVE-2026-3001",
                    "gamma",
                    "2.0",
                    NULL,
                    NULL,
                    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"};
    put_adv(&e, &a);
    put_kev(&e, "CVE-2026-3001", "2026-06-01", "2026-07-30");
    int64_t x = add_asset(&e, e.fceb, "edge", CH_ASSET_EXPOSED_YES);
    attach(&e, x, "gamma==1.0\n");
    char dirs[128], src[16];
    col(&e, x, "gamma", "directives", dirs, sizeof(dirs));
    assert_string_equal(dirs, "BOD-19-02 BOD-22-01");
    /* earliest wins: 15 days from 2026-06-09 beats the KEV date 2026-07-30 */
    assert_int_equal(icol(&e, x, "gamma", "due_at"), T("2026-06-24T23:59:59Z"));
    col(&e, x, "gamma", "ssvc_source", src, sizeof(src));
    assert_string_equal(src, "cvss"); /* AV:N/PR:N/UI:N → automatable; C:H → total */
    /* one second before the new regime nothing changes */
    pending(&e, "2026-06-09T23:59:59Z", NULL);
    col(&e, x, "gamma", "directives", dirs, sizeof(dirs));
    assert_string_equal(dirs, "BOD-19-02 BOD-22-01");
    /* on 2026-06-10 BOD 26-04 alone governs: KEV, exposed, automatable, total → 3DF */
    pending(&e, "2026-06-10T00:00:00Z", NULL);
    col(&e, x, "gamma", "directives", dirs, sizeof(dirs));
    assert_string_equal(dirs, "BOD-26-04");
    assert_int_equal(icol(&e, x, "gamma", "due_at"), T("2026-06-12T23:59:59Z"));
    /* a DoD or NSS asset is in the scope of none of them */
    int64_t y = add_asset(&e, e.dod, "tank", CH_ASSET_EXPOSED_YES);
    attach(&e, y, "gamma==1.0\n");
    assert_int_equal(icol(&e, y, "gamma", "due_at"), -1);
    env_close(&e);
}

static void test_kev_due_before_date_added(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2025-02-01T10:00:00Z");
    struct adv a = {"PYSEC-K-1", "CVE-2020-0601", "delta", "2.0", NULL, NULL, NULL};
    put_adv(&e, &a);
    put_kev(&e, "CVE-2020-0601", "2021-11-03", "2020-01-29");
    int64_t x = add_asset(&e, e.fceb, "pc", CH_ASSET_EXPOSED_NO);
    attach(&e, x, "delta==1.0\n");
    char dirs[128];
    col(&e, x, "delta", "directives", dirs, sizeof(dirs));
    assert_string_equal(dirs, "BOD-22-01");
    assert_int_equal(icol(&e, x, "delta", "due_at"), T("2020-01-29T23:59:59Z"));
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    compliance(&e, e.ctx.now, &b);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"overdue\":1"));
    ch_buf_release(&b);
    env_close(&e);
}

/* ---- lifecycle --------------------------------------------------------- */

static int64_t exposure_id(struct env *e, int64_t asset, const char *pkg)
{
    return icol(e, asset, pkg, "id");
}

static void test_risk_acceptance_expires(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    struct adv a = {"PYSEC-L-1", "CVE-2026-4001", "eps", "2.0", "no", "partial", NULL};
    put_adv(&e, &a);
    int64_t x = add_asset(&e, e.fceb, "srv", CH_ASSET_EXPOSED_NO);
    attach(&e, x, "eps==1.0\n");
    int64_t id = exposure_id(&e, x, "eps");
    struct ch_err err = CH_ERR_INIT;
    struct ch_exposure_transition t = {.to = CH_EXPOSURE_RISK_ACCEPTED, .reason = "compensating"};
    assert_int_equal(ch_exposure_transition(&e.ctx, 0, id, &t, &err), CH_E_INVALID);
    err = (struct ch_err)CH_ERR_INIT;
    t.justification = "isolated network";
    t.approver = "CISO";
    t.expires_at = T("2026-08-01T00:00:00Z");
    assert_int_equal(ch_exposure_transition(&e.ctx, 0, id, &t, &err), CH_OK);
    char status[32];
    pending(&e, "2026-07-31T23:59:59Z", NULL);
    col(&e, x, "eps", "status", status, sizeof(status));
    assert_string_equal(status, "risk_accepted");
    struct ch_exposure_stats st;
    pending(&e, "2026-08-01T00:00:00Z", &st);
    assert_int_equal(st.expired, 1);
    col(&e, x, "eps", "status", status, sizeof(status));
    assert_string_equal(status, "open");
    /* remediated is the engine's: refused by hand */
    t = (struct ch_exposure_transition){.to = CH_EXPOSURE_REMEDIATED, .reason = "patched"};
    err = (struct ch_err)CH_ERR_INIT;
    assert_int_equal(ch_exposure_transition(&e.ctx, 0, id, &t, &err), CH_E_CONFLICT);
    t = (struct ch_exposure_transition){
        .to = CH_EXPOSURE_NOT_AFFECTED, .reason = "r", .vex_justification = "nope"};
    err = (struct ch_err)CH_ERR_INIT;
    assert_int_equal(ch_exposure_transition(&e.ctx, 0, id, &t, &err), CH_E_INVALID);
    err = (struct ch_err)CH_ERR_INIT;
    t.vex_justification = "vulnerable_code_not_in_execute_path";
    assert_int_equal(ch_exposure_transition(&e.ctx, 0, id, &t, &err), CH_OK);
    /* every transition is in the history and in the audit log */
    int64_t n = 0, audited = 0;
    assert_int_equal(
        ch_store_query_int(e.s, "SELECT COUNT(*) FROM exposure_transitions", NULL, 0, &n, &err),
        CH_OK);
    assert_int_equal(n, 4); /* detected, accepted, expired, not_affected */
    assert_int_equal(
        ch_store_query_int(e.s,
                           "SELECT COUNT(*) FROM audit_log"
                           " WHERE action IN ('exposure.transition', 'exposure.transitions')",
                           NULL, 0, &audited, &err),
        CH_OK);
    assert_int_equal(audited, 4);
    env_close(&e);
}

static void test_disappear_and_return(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    struct adv a = {"PYSEC-D-1", "CVE-2026-5001", "zeta", "2.0", "no", "total", NULL};
    put_adv(&e, &a);
    int64_t x = add_asset(&e, e.fceb, "host", CH_ASSET_EXPOSED_NO);
    attach(&e, x, "zeta==1.0\n");
    int64_t id = exposure_id(&e, x, "zeta");
    char status[32];
    e.ctx.now = T("2026-07-02T10:00:00Z");
    attach(&e, x, "zeta==2.0\n");
    col(&e, x, "zeta", "status", status, sizeof(status));
    assert_string_equal(status, "remediated");
    e.ctx.now = T("2026-07-03T10:00:00Z");
    attach(&e, x, "zeta==1.5\n"); /* a rollback to an affected version */
    col(&e, x, "zeta", "status", status, sizeof(status));
    assert_string_equal(status, "open");
    assert_int_equal(exposure_id(&e, x, "zeta"), id); /* the same exposure, reopened */
    char version[16];
    col(&e, x, "zeta", "version", version, sizeof(version));
    assert_string_equal(version, "1.5");
    /* inventory history kept */
    int64_t versions = 0;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(
        ch_store_query_int(e.s, "SELECT COUNT(*) FROM asset_inventories", NULL, 0, &versions, &err),
        CH_OK);
    assert_int_equal(versions, 3);
    env_close(&e);
}

/* ---- incremental recomputation and notices ------------------------------ */

static void test_incremental_notices_and_full(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    int64_t x = add_asset(&e, e.fceb, "a1", CH_ASSET_EXPOSED_YES);
    int64_t y = add_asset(&e, e.dod, "a2", CH_ASSET_EXPOSED_NO);
    int64_t z = add_asset(&e, e.fceb, "a3", CH_ASSET_EXPOSED_NO);
    attach(&e, x, "eta==1.0\ntheta==3.0\n");
    attach(&e, y, "eta==1.2\n");
    attach(&e, z, "other==1.0\n");
    /* a new advisory for eta arrives */
    e.ctx.now = T("2026-07-02T10:00:00Z");
    struct adv a = {"PYSEC-I-1", "CVE-2026-6001", "eta", "1.5", "yes", "total", NULL};
    put_adv(&e, &a);
    struct ch_exposure_stats st;
    pending(&e, "2026-07-02T10:00:01Z", &st);
    assert_int_equal(st.opened, 2);
    assert_int_equal(st.assets, 2);  /* a3 holds no eta: not re-checked */
    assert_int_equal(st.notices, 2); /* one per organisation */
    /* the same change again: nothing new, no notice */
    pending(&e, "2026-07-02T11:00:00Z", &st);
    assert_int_equal(st.opened, 0);
    assert_int_equal(st.notices, 0);
    /* a fix appears for a second advisory; then KEV lists it */
    struct adv b = {"PYSEC-I-2", "CVE-2026-6002", "eta", "1.1", "no", "partial", NULL};
    e.ctx.now = T("2026-07-03T10:00:00Z");
    put_adv(&e, &b);
    pending(&e, "2026-07-03T10:00:01Z", &st);
    assert_int_equal(st.opened, 1); /* only a1 runs 1.0 < 1.1 */
    e.ctx.now = T("2026-07-04T10:00:00Z");
    put_kev(&e, "CVE-2026-6002", "2026-07-04", "2026-07-25");
    pending(&e, "2026-07-04T10:00:01Z", &st);
    assert_int_equal(st.notices, 1);
    struct ch_buf b1;
    ch_buf_init(&b1, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b1, 0);
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_notices_json(e.s, e.fceb, T("2026-07-04"), &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b1), "\"reasons\":\"kev\""));
    assert_true(ch_test_contains(ch_buf_cstr(&b1), "\"fixed\":\"1.1\""));
    assert_false(ch_test_contains(ch_buf_cstr(&b1), "\"org\":\"army\""));
    /* the full computation finds exactly what the incremental one did */
    ch_buf_reset(&b1);
    struct ch_exposure_filter f = {.status = -1};
    ch_jw_init(&w, &b1, 0);
    assert_int_equal(ch_exposure_list_json(e.s, &f, e.ctx.now, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_int_equal(ch_exposure_recompute_all(&e.ctx, &st, &err), CH_OK);
    assert_int_equal(st.opened + st.reopened + st.remediated + st.notices, 0);
    struct ch_buf b2;
    ch_buf_init(&b2, 1 << 20);
    ch_jw_init(&w, &b2, 0);
    assert_int_equal(ch_exposure_list_json(e.s, &f, e.ctx.now, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&b1), ch_buf_cstr(&b2));
    ch_buf_release(&b1);
    ch_buf_release(&b2);
    env_close(&e);
}

/* An advisory change re-checks its package for its own vulnerability only;
 * exposures to vulnerabilities merged away by an alias are still re-checked;
 * and the result is what a full computation finds. */
static void test_incremental_changed_vulns_only(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    int64_t x = add_asset(&e, e.fceb, "a1", CH_ASSET_EXPOSED_YES);
    attach(&e, x, "eta==1.0\n");
    struct adv a = {"PYSEC-V-1", "CVE-2026-7001", "eta", "1.5", "yes", "total", NULL};
    struct adv b = {"PYSEC-V-2", "CVE-2026-7002", "eta", "1.5", "no", "partial", NULL};
    struct adv c = {"GHSA-V-3", "CVE-2026-7003", "eta", "1.5", "no", "partial", NULL};
    e.ctx.now = T("2026-07-02T10:00:00Z");
    put_adv(&e, &a);
    put_adv(&e, &b);
    put_adv(&e, &c);
    struct ch_exposure_stats st;
    pending(&e, "2026-07-02T10:00:01Z", &st);
    assert_int_equal(st.opened, 3);
    /* A is fixed in 0.9 after all: only its exposure changes */
    e.ctx.now = T("2026-07-03T10:00:00Z");
    a.fixed = "0.9";
    put_adv(&e, &a);
    pending(&e, "2026-07-03T10:00:01Z", &st);
    assert_int_equal(st.remediated, 1);
    assert_int_equal(st.opened + st.reopened, 0);
    struct ch_stmt *q = NULL;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_prepare(e.s,
                                      "SELECT COUNT(*) FROM exposures WHERE asset_id = ?"
                                      " AND updated_at > ?",
                                      &q, &err),
                     CH_OK);
    ch_stmt_bind_int(q, 1, x);
    ch_stmt_bind_int(q, 2, T("2026-07-02T10:00:01Z"));
    assert_int_equal(ch_stmt_step(q, &err), 1);
    assert_int_equal(ch_stmt_int(q, 0), 1); /* B's and C's rows were not rewritten */
    ch_stmt_free(q);
    /* an advisory naming CVE-2026-7003 with alias CVE-2026-7002 merges B and C */
    e.ctx.now = T("2026-07-04T10:00:00Z");
    struct adv d = {"CVE-2026-7003", "CVE-2026-7002", "eta", "1.5", "no", "partial", NULL};
    put_adv(&e, &d);
    pending(&e, "2026-07-04T10:00:01Z", &st);
    /* the incremental run left what a full computation finds */
    assert_int_equal(ch_exposure_recompute_all(&e.ctx, &st, &err), CH_OK);
    assert_int_equal(st.opened + st.reopened + st.remediated, 0);
    assert_int_equal(
        ch_store_prepare(e.s,
                         "SELECT COUNT(*) FROM exposures WHERE asset_id = ?"
                         " AND status = 'open' AND vuln_id NOT IN (SELECT id FROM vulns)",
                         &q, &err),
        CH_OK);
    ch_stmt_bind_int(q, 1, x);
    assert_int_equal(ch_stmt_step(q, &err), 1);
    assert_int_equal(ch_stmt_int(q, 0), 0); /* nothing open on a vulnerability merged away */
    ch_stmt_free(q);
    env_close(&e);
}

/* Two merges before one incremental run: the exposure to the id merged into an id that was
 * then merged itself is found through the chain (vuln_merges) and re-checked. */
static void test_incremental_follows_merge_chains(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    int64_t x = add_asset(&e, e.fceb, "a1", CH_ASSET_EXPOSED_YES);
    attach(&e, x, "eta==1.0\n");
    e.ctx.now = T("2026-07-02T10:00:00Z");
    struct adv a = {"PYSEC-C-1", "CVE-2026-9001", "eta", "1.5", "no", "partial", NULL};
    struct adv b = {"PYSEC-C-2", "CVE-2026-9002", "eta", "1.5", "no", "partial", NULL};
    struct adv c = {"PYSEC-C-3", "CVE-2026-9003", "eta", "1.5", "no", "partial", NULL};
    put_adv(&e, &a);
    put_adv(&e, &b);
    put_adv(&e, &c);
    struct ch_exposure_stats st;
    pending(&e, "2026-07-02T10:00:01Z", &st);
    assert_int_equal(st.opened, 3);
    /* C joins B, then B joins A: two merges, then one run */
    e.ctx.now = T("2026-07-03T10:00:00Z");
    struct adv d = {"CVE-2026-9002", "CVE-2026-9003", "eta", "1.5", "no", "partial", NULL};
    put_adv(&e, &d);
    struct adv f = {"CVE-2026-9001", "CVE-2026-9002", "eta", "1.5", "no", "partial", NULL};
    put_adv(&e, &f);
    int64_t chain = -1;
    struct ch_err err = CH_ERR_INIT;
    assert_int_equal(ch_store_query_int(e.s,
                                        "SELECT COUNT(*) FROM vuln_merges m JOIN vuln_merges n"
                                        " ON n.gone = m.kept",
                                        NULL, -1, &chain, &err),
                     CH_OK);
    assert_int_equal(chain, 1); /* C → B → A */
    pending(&e, "2026-07-03T10:00:01Z", &st);
    int64_t open_gone = -1, open_all = -1;
    assert_int_equal(ch_store_query_int(e.s,
                                        "SELECT COUNT(*) FROM exposures WHERE status = 'open'"
                                        " AND vuln_id NOT IN (SELECT id FROM vulns)",
                                        NULL, -1, &open_gone, &err),
                     CH_OK);
    assert_int_equal(open_gone, 0);
    assert_int_equal(ch_store_query_int(e.s, "SELECT COUNT(*) FROM exposures WHERE status = 'open'",
                                        NULL, -1, &open_all, &err),
                     CH_OK);
    assert_int_equal(open_all, 1); /* the one vulnerability they all are now */
    env_close(&e);
}

/* ---- the full computation: two threads, two ways of reading notices ------ */

/* Every row of the tables a run writes, as text. */
static void dump_run_tables(struct env *e, struct ch_buf *out)
{
    static const char *const tables[] = {"exposures", "exposure_transitions", "exposure_deadlines",
                                         "notices", "remediation_tasks"};
    struct ch_err err = CH_ERR_INIT;
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY id", tables[t]);
        struct ch_stmt *st = NULL;
        assert_int_equal(ch_store_prepare(e->s, sql, &st, &err), CH_OK);
        (void)ch_buf_appendf(out, "== %s\n", tables[t]);
        int rc;
        while ((rc = ch_stmt_step(st, &err)) == 1) {
            for (int c = 0; c < ch_stmt_column_count(st); c++) {
                const char *v = ch_stmt_is_null(st, c) ? "NULL" : ch_stmt_cstr(st, c);
                (void)ch_buf_appendf(out, "%s|", v);
            }
            (void)ch_buf_append_byte(out, '\n');
        }
        assert_int_equal(rc, 0);
        ch_stmt_free(st);
    }
    assert_false(out->failed);
}

/*
 * An estate whose inventories arrive before the advisories; then full
 * computations, each run both on one thread and with a reading thread, with
 * notices read per notice and in one pass, and with the table's secondary
 * indexes kept or deferred: every row must be the same.
 */
static void full_runs(int notice_reads, bool two_threads, int defer_indexes, struct ch_buf *out)
{
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    e.ctx.notice_reads = notice_reads;
    e.ctx.defer_indexes = defer_indexes;
    struct ch_store *reader = NULL;
    struct ch_err err = CH_ERR_INIT;
    if (two_threads) {
        const struct ch_store_options ro = {.read_only = true};
        assert_int_equal(ch_store_open(e.url, &ro, &reader, &err), CH_OK);
        e.ctx.reader = reader;
    }
    static const char *const inv[] = {
        "alpha==1.0\nbeta==2.0\ngamma==0.5\n",
        "alpha==1.9\ndelta==4.0\nother==1.0\n",
        "beta==2.5\ngamma==0.9\ndelta==3.0\n",
        "alpha==1.0\nbeta==1.0\ngamma==0.1\ndelta==1.0\n",
        "unrelated==9.9\n",
        "gamma==2.0\nalpha==0.1\n",
        "beta==2.0\nalpha==1.2\n",
        "delta==0.5\nbeta==0.5\n",
    };
    const int64_t orgs[] = {e.fceb, e.dod, e.nss};
    for (size_t i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
        char name[16];
        snprintf(name, sizeof(name), "host-%zu", 8 - i); /* names not in id order */
        int64_t a = add_asset(&e, orgs[i % 3], name,
                              i % 2 == 0 ? CH_ASSET_EXPOSED_YES : CH_ASSET_EXPOSED_UNKNOWN);
        attach(&e, a, inv[i]);
    }
    int64_t big = add_asset(&e, e.fceb, "host-big", CH_ASSET_EXPOSED_YES);
    attach(&e, big, "multi==1.0\nalpha==1.0\n");
    e.ctx.now = T("2026-07-02T10:00:00Z");
    struct adv advs[] = {
        {"PYSEC-F-1", "CVE-2026-8001", "alpha", "1.5", "yes", "total", NULL},
        {"PYSEC-F-2", "CVE-2026-8002", "beta", "2.1", NULL, NULL,
         "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
        {"PYSEC-F-3", "CVE-2026-8003", "gamma", "1.0", "no", "partial", NULL},
        {"PYSEC-F-4", "CVE-2026-8004", "delta", "3.5", "no", "total", NULL},
        {"GHSA-F-5", "CVE-2026-8005", "alpha", "2.0", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(advs) / sizeof(advs[0]); i++)
        put_adv(&e, &advs[i]);
    put_kev(&e, "CVE-2026-8001", "2026-07-02", "2026-07-23");
    put_kev(&e, "CVE-2026-8004", "2026-06-20", "2026-06-18"); /* due before it was added */
    /* 40 advisories of one package: an asset with more transitions and deadlines than one
     * multi-row INSERT holds */
    for (int i = 0; i < 40; i++) {
        char id[32], cve[32];
        snprintf(id, sizeof(id), "PYSEC-M-%02d", i);
        snprintf(cve, sizeof(cve), "CVE-2026-81%02d", i);
        struct adv m = {id, cve, "multi", i % 2 == 0 ? "9.0" : "1.5", "no", "partial", NULL};
        put_adv(&e, &m);
    }
    e.ctx.now = T("2026-07-02T12:00:00Z");
    struct ch_exposure_stats st;
    assert_int_equal(ch_exposure_recompute_all(&e.ctx, &st, &err), CH_OK);
    assert_int_equal(st.assets, 9);
    assert_true(st.opened > 50);
    assert_true(st.notices > 0);
    /* every exposure has its one detection, and its due date is that of one of its deadlines */
    int64_t bad = -1;
    assert_int_equal(
        ch_store_query_int(e.s,
                           "SELECT COUNT(*) FROM exposures x WHERE (SELECT COUNT(*) FROM"
                           " exposure_transitions t WHERE t.exposure_id = x.id AND"
                           " t.from_status IS NULL AND t.to_status = 'open') <> 1",
                           NULL, -1, &bad, &err),
        CH_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(ch_store_query_int(e.s,
                                        "SELECT COUNT(*) FROM exposures x WHERE x.due_at IS NOT"
                                        " NULL AND NOT EXISTS (SELECT 1 FROM exposure_deadlines d"
                                        " WHERE d.exposure_id = x.id AND d.due = x.due_at)",
                                        NULL, -1, &bad, &err),
                     CH_OK);
    assert_int_equal(bad, 0);
    int64_t n_big = 0;
    assert_int_equal(ch_store_query_int(e.s,
                                        "SELECT COUNT(*) FROM exposures x JOIN assets a"
                                        " ON a.id = x.asset_id WHERE a.name = ?",
                                        "host-big", -1, &n_big, &err),
                     CH_OK);
    assert_int_equal(n_big, 42); /* 40 of multi, 2 of alpha */
    /* a notice lists its assets by name, whatever their ids (host-8 was created first) */
    struct ch_stmt *q = NULL;
    assert_int_equal(ch_store_prepare(e.s,
                                      "SELECT body FROM notices WHERE org_id = ? AND vuln ="
                                      " 'CVE-2026-8001'",
                                      &q, &err),
                     CH_OK);
    ch_stmt_bind_int(q, 1, e.fceb);
    assert_int_equal(ch_stmt_step(q, &err), 1);
    const char *body = ch_stmt_cstr(q, 0);
    /* grouped by package, version, fix, due date and directives, each group
     * once; in a group, the assets by name */
    cJSON *doc = cJSON_Parse(body);
    assert_non_null(doc);
    const cJSON *groups = ch_json_arr(doc, "affected");
    assert_non_null(groups);
    char prev_group[512] = "";
    int64_t listed = 0;
    int seen_hosts = 0;
    for (const cJSON *g = groups->child; g != NULL; g = g->next) {
        char key[512];
        const char *fixed = ch_json_str(g, "fixed"), *due = ch_json_str(g, "due");
        /* \x01 sorts below every character of a value: the key orders as the tuple does */
        snprintf(key, sizeof(key), "%s\x01%s\x01%s\x01%s\x01%s\x01%s", ch_json_str(g, "ecosystem"),
                 ch_json_str(g, "package"), ch_json_str(g, "version"), fixed ? fixed : "",
                 due ? due : "", ch_json_str(g, "directives"));
        assert_true(strcmp(prev_group, key) < 0); /* in order, so each group appears once */
        snprintf(prev_group, sizeof(prev_group), "%s", key);
        const cJSON *assets = ch_json_arr(g, "assets");
        assert_non_null(assets);
        assert_non_null(assets->child);
        const char *prev_asset = "";
        for (const cJSON *a = assets->child; a != NULL; a = a->next) {
            const char *name = ch_json_str(a, "asset");
            assert_non_null(name);
            assert_true(strcmp(prev_asset, name) <= 0);
            prev_asset = name;
            assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "exposure")));
            assert_non_null(ch_json_str(a, "status"));
            seen_hosts += strcmp(name, "host-2") == 0 || strcmp(name, "host-5") == 0 ||
                          strcmp(name, "host-8") == 0 || strcmp(name, "host-big") == 0;
            listed++;
        }
    }
    cJSON_Delete(doc);
    ch_stmt_free(q);
    assert_true(seen_hosts >= 4);
    /* every active exposure of the organisation to the vulnerability, once */
    assert_int_equal(ch_store_prepare(e.s,
                                      "SELECT COUNT(*) FROM exposures x JOIN vulns v"
                                      " ON v.id = x.vuln_id WHERE v.display_id = 'CVE-2026-8001'"
                                      " AND x.org_id = ? AND x.status <> 'remediated'",
                                      &q, &err),
                     CH_OK);
    ch_stmt_bind_int(q, 1, e.fceb);
    assert_int_equal(ch_stmt_step(q, &err), 1);
    assert_int_equal(listed, ch_stmt_int(q, 0));
    ch_stmt_free(q);
    /* fixes move: some exposures are remediated, others refreshed, by a second full run */
    e.ctx.now = T("2026-07-05T10:00:00Z");
    advs[0].fixed = "0.5";
    advs[2].fixed = "0.2";
    put_adv(&e, &advs[0]);
    put_adv(&e, &advs[2]);
    e.ctx.now = T("2026-07-05T12:00:00Z");
    assert_int_equal(ch_exposure_recompute_all(&e.ctx, &st, &err), CH_OK);
    assert_true(st.remediated > 0);
    dump_run_tables(&e, out);
    ch_store_free(reader);
    env_close(&e);
}

static void test_full_run_threads_and_notice_reads(void **state)
{
    (void)state;
    struct ch_buf want, got;
    ch_buf_init(&want, 16 << 20);
    full_runs(-1, false, -1, &want);
    assert_true(ch_test_contains(ch_buf_cstr(&want), "\"asset\":\"host-2\""));
    /* deferred indexes: chosen (the first run starts with none of its exposures), always
     * (the second run too) and never */
    static const struct {
        int notice_reads;
        bool two_threads;
        int defer_indexes;
    } variants[] = {{1, false, -1}, {-1, true, -1}, {1, true, 0},
                    {0, true, 0},   {0, true, 1},   {-1, false, 1}};
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        ch_buf_init(&got, 16 << 20);
        full_runs(variants[i].notice_reads, variants[i].two_threads, variants[i].defer_indexes,
                  &got);
        if (strcmp(ch_buf_cstr(&want), ch_buf_cstr(&got)) != 0)
            fail_msg("notice_reads %d, two threads %d, deferred indexes %d: rows differ from one"
                     " thread, per notice, indexes kept",
                     variants[i].notice_reads, variants[i].two_threads, variants[i].defer_indexes);
        ch_buf_release(&got);
    }
    ch_buf_release(&want);
}

/* ---- compliance replayed ------------------------------------------------ */

static void test_compliance_as_of_replay(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-05-01T10:00:00Z");
    struct adv a1 = {"PYSEC-C-1",
                     "CVE-2026-7001",
                     "iota",
                     "2.0",
                     "yes",
                     "total",
                     "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"};
    struct adv a2 = {"PYSEC-C-2",
                     "CVE-2026-7002",
                     "kappa",
                     "2.0",
                     "no",
                     "partial",
                     "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"};
    put_adv(&e, &a1);
    put_adv(&e, &a2);
    put_kev(&e, "CVE-2026-7001", "2026-04-01", "2026-05-20");
    int64_t x = add_asset(&e, e.fceb, "w1", CH_ASSET_EXPOSED_YES);
    int64_t y = add_asset(&e, e.fceb, "w2", CH_ASSET_EXPOSED_NO);
    attach(&e, x, "iota==1.0\nkappa==1.0\n");
    attach(&e, y, "iota==1.0\nkappa==1.0\n");
    /* a history: remediations, a transition, the regime change, more remediation */
    static const char *const days[] = {"2026-05-10T12:00:00Z", "2026-05-25T12:00:00Z",
                                       "2026-06-10T06:00:00Z", "2026-06-15T12:00:00Z",
                                       "2026-08-01T12:00:00Z"};
    struct ch_buf said[5];
    for (int i = 0; i < 5; i++) {
        e.ctx.now = T(days[i]);
        if (i == 0)
            attach(&e, x, "iota==2.0\nkappa==1.0\n");
        if (i == 1) {
            struct ch_err err = CH_ERR_INIT;
            struct ch_exposure_transition t = {.to = CH_EXPOSURE_IN_PROGRESS, .reason = "wip"};
            assert_int_equal(
                ch_exposure_transition(&e.ctx, 0, exposure_id(&e, y, "iota"), &t, &err), CH_OK);
        }
        if (i == 2)
            pending(&e, days[i], NULL);
        if (i == 3)
            attach(&e, y, "iota==2.0\nkappa==2.0\n");
        if (i == 4)
            attach(&e, x, "iota==2.0\nkappa==2.0\n");
        ch_buf_init(&said[i], 1 << 20);
        compliance(&e, e.ctx.now, &said[i]); /* what the report says that day */
    }
    e.ctx.now = T("2026-11-01T00:00:00Z");
    for (int i = 0; i < 5; i++) {
        struct ch_buf later;
        ch_buf_init(&later, 1 << 20);
        compliance(&e, T(days[i]), &later);
        if (strcmp(ch_buf_cstr(&said[i]), ch_buf_cstr(&later)) != 0)
            fail_msg("as of %s:\n said %s\n later %s", days[i], ch_buf_cstr(&said[i]),
                     ch_buf_cstr(&later));
        ch_buf_release(&later);
        ch_buf_release(&said[i]);
    }
    env_close(&e);
}

/* ---- tenancy ------------------------------------------------------------ */

static void test_tenancy(void **state)
{
    (void)state;
    struct env e;
    env_open(&e, "2026-07-01T10:00:00Z");
    struct adv a = {"PYSEC-T-1", "CVE-2026-8001", "lambda", "2.0", "no", "partial", NULL};
    put_adv(&e, &a);
    int64_t mine = add_asset(&e, e.fceb, "mine", CH_ASSET_EXPOSED_NO);
    int64_t theirs = add_asset(&e, e.dod, "theirs", CH_ASSET_EXPOSED_NO);
    attach(&e, mine, "lambda==1.0\n");
    attach(&e, theirs, "lambda==1.0\n");
    struct ch_principal op = {.org_id = e.fceb, .roles = CH_ROLE_OPERATOR};
    struct ch_principal admin = {.org_id = e.nss, .roles = CH_ROLE_ADMIN};
    int64_t scope = ch_rem_scope(&op);
    assert_int_equal(scope, e.fceb);
    assert_int_equal(ch_rem_scope(&admin), 0);
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    struct ch_err err = CH_ERR_INIT;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_asset_list_json(e.s, scope, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"mine\""));
    assert_false(ch_test_contains(ch_buf_cstr(&b), "theirs"));
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_asset_show_json(e.s, scope, theirs, &w, &err), CH_E_NOTFOUND);
    err = (struct ch_err)CH_ERR_INIT;
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    struct ch_exposure_filter f = {.scope_org = scope, .status = -1};
    assert_int_equal(ch_exposure_list_json(e.s, &f, e.ctx.now, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"mine\""));
    assert_false(ch_test_contains(ch_buf_cstr(&b), "theirs"));
    int64_t other = exposure_id(&e, theirs, "lambda");
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_exposure_show_json(e.s, scope, other, e.ctx.now, &w, &err), CH_E_NOTFOUND);
    err = (struct ch_err)CH_ERR_INIT;
    struct ch_exposure_transition t = {.to = CH_EXPOSURE_IN_PROGRESS, .reason = "x"};
    assert_int_equal(ch_exposure_transition(&e.ctx, scope, other, &t, &err), CH_E_NOTFOUND);
    err = (struct ch_err)CH_ERR_INIT;
    struct ch_inventory_attach in = {
        .asset_id = theirs, .file_name = "requirements.txt", .data = "lambda==2.0\n", .len = 12};
    int64_t v = 0;
    struct ch_exposure_stats st;
    assert_int_equal(ch_asset_attach_inventory(&e.ctx, scope, &in, &v, &st, &err), CH_E_NOTFOUND);
    err = (struct ch_err)CH_ERR_INIT;
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_notices_json(e.s, scope, -1, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_false(ch_test_contains(ch_buf_cstr(&b), "army"));
    ch_buf_release(&b);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bod2604_all_rows),
        cmocka_unit_test(test_end_of_day_boundary),
        cmocka_unit_test(test_regime_change_and_several_directives),
        cmocka_unit_test(test_kev_due_before_date_added),
        cmocka_unit_test(test_risk_acceptance_expires),
        cmocka_unit_test(test_disappear_and_return),
        cmocka_unit_test(test_incremental_notices_and_full),
        cmocka_unit_test(test_incremental_changed_vulns_only),
        cmocka_unit_test(test_incremental_follows_merge_chains),
        cmocka_unit_test(test_full_run_threads_and_notice_reads),
        cmocka_unit_test(test_compliance_as_of_replay),
        cmocka_unit_test(test_tenancy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
