/* SPDX-License-Identifier: Apache-2.0
 *
 * caseevent.c: the case_state webhook event (docs/sharing.md), queued for
 * every row of a case's history, inside the transaction that writes it.
 *
 * Who hears it: the case's participants (reporter, vendor, coordinators)
 * and the finding's own organisation, the organisations that see the case
 * through the API without a clearinghouse-wide role. Nobody else: the
 * clearinghouse's analysts read the cases themselves.
 *
 * What they hear is less than the API shows them: the case id, the states,
 * the time, the embargo's end, whether it is exploited and, once published,
 * the advisory id. Never the note, the finding's title, target, PoC or
 * signature: a webhook leaves the clearinghouse for a URL that no user's
 * clearance vouches for, so a body carries only what would do no harm if
 * it reached the wrong person at the right organisation.
 *
 * For the same reason an endpoint counts as cleared for unclassified data
 * only (webhooks have no clearance of their own): a case whose finding is
 * classified above CASE_EVENT_MAX_LEVEL queues nothing, and its participants
 * follow it through the API, where their users' clearance is checked.
 *
 * The key is "case:<case id>:<history row id>": one transition is one history
 * row, so a retried transaction (rolled back, then committed once) and a
 * re-run of this function for the same row queue the event once.
 */
#include <stdio.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "disclose/internal.h"
#include "outbox/outbox.h"

/* Highest classification whose case events leave in a webhook (see above). */
#define CASE_EVENT_MAX_LEVEL CH_CLEAR_UNCLASSIFIED
/*
 * Organisations told about one case. Analysts add participants one by one
 * without a bound, so this is a sanity bound, far above any real case.
 */
#define CASE_EVENT_MAX_ORGS 1000

struct case_facts {
    int64_t finding_org;
    enum ch_clearance classification;
    bool exploited;
    int64_t embargo_until; /* -1: not started */
    char advisory_id[32];  /* "": not published */
};

static int load_facts(struct ch_store *s, int64_t case_id, struct case_facts *ret,
                      struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT f.org_id, f.classification, c.exploited, c.embargo_until,"
                           " c.advisory_id FROM disclose_cases c"
                           " JOIN disclose_findings f ON f.id = c.finding_id WHERE c.id = ?",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, case_id);
    rc = ch_stmt_step(st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ch_err_set(err, CH_E_INTERNAL, "case %lld vanished", (long long)case_id);
    struct case_facts f = {
        .finding_org = ch_stmt_int(st, 0),
        .exploited = ch_stmt_int(st, 2) != 0,
        .embargo_until = ch_stmt_is_null(st, 3) ? -1 : ch_stmt_int(st, 3),
    };
    /* an unreadable level is treated as the highest: it never leaves */
    if (ch_clearance_parse(ch_stmt_cstr(st, 1), &f.classification) != CH_OK)
        f.classification = CH_CLEAR_TOP_SECRET;
    snprintf(f.advisory_id, sizeof(f.advisory_id), "%s",
             ch_stmt_is_null(st, 4) ? "" : ch_stmt_cstr(st, 4));
    ch_stmt_reset(st);
    *ret = f;
    return CH_OK;
}

/* The participant organisations and the finding's, each once, ascending; *ret owned. */
static int load_orgs(struct ch_store *s, int64_t case_id, int64_t finding_org, int64_t **ret,
                     size_t *ret_n, struct ch_err *err)
{
    struct ch_stmt *st = NULL;
    int rc = ch_store_stmt(s,
                           "SELECT org_id FROM disclose_participants WHERE case_id = ?"
                           " UNION SELECT ? ORDER BY 1",
                           &st, err);
    if (rc != CH_OK)
        return rc;
    ch_stmt_bind_int(st, 1, case_id);
    ch_stmt_bind_int(st, 2, finding_org);
    int64_t *orgs = NULL;
    size_t n = 0, cap = 0;
    while ((rc = ch_stmt_step(st, err)) == 1) {
        if (n == CASE_EVENT_MAX_ORGS) {
            rc = ch_err_set(err, CH_E_LIMIT, "case %lld has more than %d organisations",
                            (long long)case_id, CASE_EVENT_MAX_ORGS);
            break;
        }
        if (n == cap) {
            cap = cap == 0 ? 8 : cap * 2;
            int64_t *v = ch_reallocarray(orgs, cap, sizeof(*v));
            if (v == NULL) {
                rc = ch_err_set(err, CH_E_NOMEM, "out of memory");
                break;
            }
            orgs = v;
        }
        orgs[n++] = ch_stmt_int(st, 0);
    }
    ch_stmt_reset(st);
    if (rc < 0) {
        ch_free(orgs);
        return rc;
    }
    *ret = orgs;
    *ret_n = n;
    return CH_OK;
}

static int write_data(int64_t case_id, const char *from, const char *to, int64_t at,
                      const struct case_facts *f, struct ch_buf *out, struct ch_err *err)
{
    struct ch_jw w;
    ch_jw_init(&w, out, 0);
    ch_jw_obj_open(&w);
    ch_jw_kint(&w, "case_id", case_id);
    ch_jw_kstr(&w, "from", from); /* null when the case opens */
    ch_jw_kstr(&w, "to", to);
    ch_jw_ktime(&w, "at", at);
    ch_jw_ktime(&w, "embargo_until", f->embargo_until);
    ch_jw_kbool(&w, "exploited", f->exploited);
    ch_jw_kstr(&w, "advisory_id", f->advisory_id[0] != '\0' ? f->advisory_id : NULL);
    ch_jw_obj_close(&w);
    return ch_jw_finish(&w, err);
}

int ch_disclose__case_event(struct ch_store *s, int64_t case_id, int64_t event_id, const char *from,
                            const char *to, int64_t at, struct ch_err *err)
{
    struct case_facts f;
    int rc = load_facts(s, case_id, &f, err);
    if (rc != CH_OK || f.classification > CASE_EVENT_MAX_LEVEL)
        return rc;
    int64_t *orgs = NULL;
    size_t n = 0;
    rc = load_orgs(s, case_id, f.finding_org, &orgs, &n, err);
    if (rc != CH_OK)
        return rc;
    char key[64];
    snprintf(key, sizeof(key), "case:%lld:%lld", (long long)case_id, (long long)event_id);
    struct ch_buf data;
    ch_buf_init(&data, 4096);
    rc = write_data(case_id, from, to, at, &f, &data, err);
    for (size_t i = 0; rc == CH_OK && i < n; i++)
        rc = ch_outbox_emit(s, orgs[i], CH_WEBHOOK_CASE_STATE, key, ch_buf_cstr(&data), at, at,
                            NULL, err);
    ch_buf_release(&data);
    ch_free(orgs);
    return rc;
}
