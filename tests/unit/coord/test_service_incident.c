/* SPDX-License-Identifier: Apache-2.0
 * Incidents: opened only from an "unauthorised" answer, evidence kept or
 * digested, classification hides them, and the enforcement package's
 * signature verifies and fails after a one-byte change of the manifest or of
 * an evidence file. Runs on SQLite and PostgreSQL. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "coord/deconflict.h"
#include "coord/incident.h"
#include "coord/service.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/keys.h"

#define T0 ((int64_t)1780000000)

struct fx {
    struct ch_store *s;
    char *dir;
    struct ch_coord *c;
    struct ch_keys keys;
    int64_t grid, acme, net, lease;
    struct ch_coord_actor op, pa;
};

static int setup(void **state)
{
    struct fx *f = ch_calloc(1, sizeof(*f));
    struct ch_err err = CH_ERR_INIT;
    if (ch_crypto_init(&err) != CH_OK)
        fail_msg("%s", err.msg);
    f->s = ch_test_store(&f->dir);
    struct ch_org_new g = {.slug = "grid", .name = "Grid", .category = CH_ORG_FCEB};
    struct ch_org_new a = {.slug = "acme", .name = "Acme", .category = CH_ORG_PARTNER};
    if (ch_org_create(f->s, &g, T0, &f->grid, &err) != CH_OK ||
        ch_org_create(f->s, &a, T0, &f->acme, &err) != CH_OK)
        fail_msg("%s", err.msg);
    f->op = (struct ch_coord_actor){.org_id = f->grid, .roles = CH_ROLE_OPERATOR,
                                    .clearance = CH_CLEAR_CUI, .name = "user:op"};
    f->pa = (struct ch_coord_actor){.org_id = f->acme, .roles = CH_ROLE_PARTNER,
                                    .clearance = CH_CLEAR_UNCLASSIFIED, .name = "user:pa"};
    char kd[1024];
    snprintf(kd, sizeof(kd), "%s/keys", f->dir);
    bool created = false;
    if (ch_keys_create(kd, &created, &err) != CH_OK || ch_keys_load(kd, &f->keys, &err) != CH_OK)
        fail_msg("%s", err.msg);
    if (ch_coord_new(f->s, NULL, T0, &f->c, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_coord_target_new t = {.kind = CH_TARGET_NETWORK, .name = "net",
                                    .scope = "192.0.2.0/24"};
    struct ch_coord_auth_new au = {.start = T0, .end = T0 + 86400,
                                   .rules_json = "{\"contacts\":[\"soc@grid\"]}"};
    int64_t auth;
    if (ch_coord_target_add(f->c, f->s, &f->op, &t, T0, &f->net, &err) != CH_OK)
        fail_msg("%s", err.msg);
    au.target_id = f->net;
    au.partner_org_id = f->acme;
    if (ch_coord_auth_grant(f->c, f->s, &f->op, &au, T0, &auth, &err) != CH_OK)
        fail_msg("%s", err.msg);
    struct ch_coord_lease_new l = {.target_id = f->net, .mode = CH_LEASE_EXCLUSIVE, .start = T0,
                                   .end = T0 + 3600, .sources = "198.51.100.0/24"};
    if (ch_coord_lease_request(f->c, f->s, &f->pa, &l, T0, &f->lease, &err) != CH_OK)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ch_keys_wipe(&f->keys);
    ch_coord_free(f->c);
    ch_store_free(f->s);
    ch_test_rmtree(f->dir);
    ch_free(f->dir);
    ch_free(f);
    return 0;
}

static int64_t open_incident(struct fx *f, enum ch_clearance cls)
{
    struct ch_err err = CH_ERR_INIT;
    struct ch_coord_incident_new n = {.title = "SYN sweep from unknown scanner",
                                      .source = "203.0.113.66",
                                      .target = "192.0.2.10",
                                      .observed_at = T0 + 600,
                                      .classification = cls};
    int64_t id = 0;
    if (ch_coord_incident_open(f->c, f->s, &f->op, &n, T0 + 900, &id, &err) != CH_OK)
        fail_msg("%s", err.msg);
    return id;
}

static void test_open_only_when_unauthorised(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    struct ch_coord_incident_new n = {.title = "t", .source = "198.51.100.5",
                                      .target = "192.0.2.10", .observed_at = T0 + 600};
    int64_t id;
    assert_int_equal(ch_coord_incident_open(f->c, f->s, &f->op, &n, T0 + 900, &id, &err),
                     CH_E_CONFLICT);
    assert_true(ch_test_contains(err.msg, "authorised"));
    /* partners cannot open incidents; nobody classifies above their clearance */
    ch_err_clear(&err);
    n.source = "203.0.113.66";
    assert_int_equal(ch_coord_incident_open(f->c, f->s, &f->pa, &n, T0 + 900, &id, &err),
                     CH_E_PERM);
    ch_err_clear(&err);
    n.classification = CH_CLEAR_SECRET;
    assert_int_equal(ch_coord_incident_open(f->c, f->s, &f->op, &n, T0 + 900, &id, &err),
                     CH_E_PERM);
    int64_t ok = open_incident(f, CH_CLEAR_CUI);
    assert_true(ok > 0);
    /* a reader without the clearance does not see it */
    struct ch_coord_actor low = f->op;
    low.clearance = CH_CLEAR_UNCLASSIFIED;
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    ch_err_clear(&err);
    assert_int_equal(ch_coord_incident_show_json(f->s, &low, ok, &w, &err), CH_E_NOTFOUND);
    ch_buf_reset(&b);
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_coord_incident_list_json(f->s, &low, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_string_equal(ch_buf_cstr(&b), "[]");
    ch_buf_release(&b);
}

static void flip_byte(const char *path, size_t at)
{
    struct ch_buf b;
    ch_buf_init(&b, 1 << 26);
    ch_test_read_file(path, &b);
    assert_true(at < b.len);
    char *p = ch_buf_take(&b, NULL);
    p[at] ^= 0x01;
    ch_test_write_file(path, p, strlen(p));
    ch_free(p);
}

static void test_package_signature_verifies_and_detects_edits(void **state)
{
    struct fx *f = *state;
    struct ch_err err = CH_ERR_INIT;
    int64_t id = open_incident(f, CH_CLEAR_UNCLASSIFIED);
    const char *log = "2026-05-28T00:10:00Z fw DROP SRC=203.0.113.66 DST=192.0.2.10 SYN\n";
    struct ch_coord_evidence_new e = {.incident_id = id, .kind = "log", .name = "fw.log",
                                      .data = log, .len = strlen(log)};
    int64_t eid;
    assert_int_equal(ch_coord_incident_evidence_add(f->s, &f->op, &e, T0 + 950, &eid, &err),
                     CH_OK);
    struct ch_coord_evidence_new pcap = {
        .incident_id = id, .kind = "pcap", .name = "sweep.pcap",
        .sha256_hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"};
    assert_int_equal(ch_coord_incident_evidence_add(f->s, &f->op, &pcap, T0 + 960, &eid, &err),
                     CH_OK);
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/pkg", f->dir);
    assert_int_equal(ch_coord_incident_export(f->s, &f->op, id, &f->keys, dir, T0 + 1000, &err),
                     CH_OK);
    /* a second export into the same place is refused */
    assert_int_equal(ch_coord_incident_export(f->s, &f->op, id, &f->keys, dir, T0 + 1001, &err),
                     CH_E_CONFLICT);
    struct ch_coord_package_report r;
    ch_err_clear(&err);
    assert_int_equal(ch_coord_package_verify(dir, f->keys.sign_pk, &r, &err), CH_OK);
    assert_true(r.ok);
    assert_int_equal(r.incident, id);
    assert_int_equal(r.evidence_files, 1);
    assert_false(r.key_from_manifest);
    /* the manifest carries the audit excerpt, queries and digests */
    char mpath[1100];
    snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
    struct ch_buf m;
    ch_buf_init(&m, 1 << 26);
    ch_test_read_file(mpath, &m);
    assert_true(ch_test_contains(ch_buf_cstr(&m), "coord.incident.open"));
    assert_true(ch_test_contains(ch_buf_cstr(&m), "coord.incident.refer"));
    assert_true(ch_test_contains(ch_buf_cstr(&m), "\"authorised\":false"));
    assert_true(ch_test_contains(ch_buf_cstr(&m), pcap.sha256_hex));
    /* another key does not verify it */
    unsigned char other[32];
    memcpy(other, f->keys.sign_pk, 32);
    other[0] ^= 0x80;
    assert_int_equal(ch_coord_package_verify(dir, other, &r, &err), CH_OK);
    assert_false(r.ok);
    /* one byte changed in the evidence: fails, then restored: verifies */
    char epath[1100];
    snprintf(epath, sizeof(epath), "%s/evidence/1.log", dir);
    flip_byte(epath, 20);
    assert_int_equal(ch_coord_package_verify(dir, NULL, &r, &err), CH_OK);
    assert_false(r.ok);
    assert_true(ch_test_contains(r.problem, "evidence"));
    flip_byte(epath, 20);
    assert_int_equal(ch_coord_package_verify(dir, NULL, &r, &err), CH_OK);
    assert_true(r.ok);
    assert_true(r.key_from_manifest);
    /* one byte of the manifest changed: the signature fails */
    const char *hit = strstr(ch_buf_cstr(&m), "203.0.113.66");
    assert_non_null(hit);
    flip_byte(mpath, (size_t)(hit - ch_buf_cstr(&m)) + 2);
    assert_int_equal(ch_coord_package_verify(dir, f->keys.sign_pk, &r, &err), CH_OK);
    assert_false(r.ok);
    assert_true(ch_test_contains(r.problem, "signature"));
    ch_buf_release(&m);
    /* the referral is recorded */
    struct ch_buf b;
    ch_buf_init(&b, 1 << 20);
    struct ch_jw w;
    ch_jw_init(&w, &b, 0);
    assert_int_equal(ch_coord_incident_show_json(f->s, &f->op, id, &w, &err), CH_OK);
    assert_int_equal(ch_jw_finish(&w, &err), CH_OK);
    assert_true(ch_test_contains(ch_buf_cstr(&b), "\"status\":\"referred\""));
    ch_buf_release(&b);
}

int main(void)
{
    ch_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_only_when_unauthorised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_package_signature_verifies_and_detects_edits, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("coord_incident", tests, NULL, NULL);
}
