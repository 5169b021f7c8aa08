/* SPDX-License-Identifier: Apache-2.0
 *
 * case.h: coordinated-disclosure cases (docs/disclosure.md, "Cases").
 *
 *   new → validated → triaged → vendor_notified → fix_available → published
 *   (any open state) → rejected | duplicate
 *
 * - validated needs a reproduced (or flaky) finding; it starts the embargo:
 *   embargo_until = validation + embargo days (default 90; the exploited
 *   embargo, default 7 days, when the case is marked exploited in the wild).
 * - fix_available is reached only through ch_case_verify_fix(): the same PoC
 *   run against the fixed build (a fix recipe and its files) in the sandbox
 *   no longer reproduces; the verification run and its log are recorded.
 * - published is reached only through ch_case_publish(), from fix_available,
 *   or from validated/triaged/vendor_notified once the embargo has ended
 *   (then without a fixed version). It allocates CH-YYYY-NNNN, writes the
 *   OSV record and the CSAF document (disclose/publish.h) into the
 *   knowledge base through the OSV and CSAF readers, stores the CSAF JSON for
 *   the provider feed and adds a published_advisories row: the "published"
 *   event the remediation subsystem turns into notices.
 *
 * Participants (need-to-know): the reporter's organisation, the vendor's and
 * any the analysts add see the case and its finding; clearinghouse-wide roles
 * see all; everyone needs clearance at or above the finding's
 * classification. Managing a case needs a wide role (CH_E_PERM).
 *
 * Every change runs in one write transaction with its audit entry and a row
 * of the case's history.
 */
#ifndef CH_DISCLOSE_CASE_H
#define CH_DISCLOSE_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "disclose/finding.h"
#include "disclose/publish.h"

#define CH_CASE_DEFAULT_EMBARGO_DAYS 90
#define CH_CASE_DEFAULT_EXPLOITED_EMBARGO_DAYS 7
/* Longest embargo an analyst may set: a year. */
#define CH_CASE_MAX_EMBARGO_DAYS 365
#define CH_CASE_MAX_PARTICIPANTS 16
#define CH_CASE_MAX_NOTE 4096

enum ch_case_state {
    CH_CASE_NEW = 0,
    CH_CASE_VALIDATED,
    CH_CASE_TRIAGED,
    CH_CASE_VENDOR_NOTIFIED,
    CH_CASE_FIX_AVAILABLE,
    CH_CASE_PUBLISHED,
    CH_CASE_REJECTED,
    CH_CASE_DUPLICATE,
    CH_CASE_STATE_COUNT
};

/* "new", "validated", ...; NULL for an out-of-range value. */
const char *ch_case_state_name(enum ch_case_state s);
int ch_case_state_parse(const char *s, enum ch_case_state *ret) CH_MUST_CHECK;

struct ch_case_open {
    int64_t finding_id;
    bool exploited;                  /* exploited in the wild: the short embargo */
    int64_t embargo_days;            /* 0: the default (or the exploited default) */
    int64_t exploited_embargo_days;  /* 0: CH_CASE_DEFAULT_EXPLOITED_EMBARGO_DAYS */
    int64_t vendor_org_id;           /* 0: none yet */
    const int64_t *participant_orgs; /* more need-to-know organisations */
    size_t n_participants;
};

int ch_case_open(struct ch_store *s, const struct ch_disclose_actor *actor,
                 const struct ch_case_open *o, int64_t now, int64_t *ret_id,
                 struct ch_err *err) CH_MUST_CHECK;

/*
 * Moves a case along an allowed edge (CH_E_CONFLICT naming the allowed
 * ones otherwise). fix_available and published are refused here: use
 * ch_case_verify_fix() and ch_case_publish().
 */
int ch_case_transition(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                       enum ch_case_state to, const char *note, int64_t now,
                       struct ch_err *err) CH_MUST_CHECK;

/* Marks the case exploited in the wild: the embargo ends at the latest now + exploited days. */
int ch_case_mark_exploited(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                           int64_t exploited_embargo_days, int64_t now,
                           struct ch_err *err) CH_MUST_CHECK;

/* Adds an organisation to the case's participants (role "vendor" or "coordinator"). */
int ch_case_add_participant(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                            int64_t org_id, const char *role, int64_t now,
                            struct ch_err *err) CH_MUST_CHECK;

struct ch_case_fix {
    const char
        *recipe; /* fix recipe JSON: what changes (usually "build"); merged with the original */
    size_t recipe_len;
    const struct ch_repro_file *files; /* files added or replaced (the fixed source) */
    size_t n_files;
    const char *fixed_version; /* required */
};

struct ch_case_fix_result {
    int64_t run_id;
    bool fixed; /* the PoC no longer reproduces against the fixed build */
    enum ch_repro_outcome outcome;
    unsigned n_runs;
    unsigned n_matched;
};

/*
 * Runs the finding's PoC against the fixed build (outside any transaction),
 * records the run with its log and, when the fix holds, moves the case to
 * fix_available with the fixed version, in one transaction. A fixed build
 * that does not build is not a fix (invalid_recipe, fixed false). Allowed
 * from validated, triaged and vendor_notified.
 */
int ch_case_verify_fix(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                       const struct ch_case_fix *fix, const struct ch_repro_options *opts,
                       int64_t now, struct ch_case_fix_result *ret,
                       struct ch_err *err) CH_MUST_CHECK;

struct ch_case_published {
    char advisory_id[32];                 /* CH-2026-0001 */
    char osv_id[40];                      /* x_CH-2026-0001 */
    char csaf_path[CH_DISCLOSE_PATH_MAX]; /* white/2026/ch-2026-0001.json */
    int64_t kb_vuln_id;
};

int ch_case_publish(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                    const struct ch_disclose_publisher *pub, int64_t now,
                    struct ch_case_published *ret, struct ch_err *err) CH_MUST_CHECK;

/* A case as JSON (finding summary, participants, history, published ids); CH_E_NOTFOUND if not
 * visible. */
int ch_case_show_json(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                      struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
int ch_case_list_json(struct ch_store *s, const struct ch_disclose_actor *actor, const char *state,
                      struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/*
 * Published advisories with id > after_id, oldest first, at most limit, as a
 * JSON array of {id, vuln_key, osv_id, kb_vuln_id, title, published_at}:
 * what the remediation subsystem polls to send notices (docs/disclosure.md).
 */
int ch_published_since_json(struct ch_store *s, int64_t after_id, unsigned limit, struct ch_jw *w,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
