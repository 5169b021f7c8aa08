/* SPDX-License-Identifier: Apache-2.0
 *
 * finding.h: discovery intake (DESIGN.md §1 item 5, docs/disclosure.md).
 * A partner submits a finding against a target or package version: title,
 * CWE, description, affected component and versions, and a proof of concept
 * (files plus a recipe, validate/repro.h). The files are stored as blobs with
 * their BLAKE2b-256 digests. Validation reproduces the finding in the
 * sandbox, stores the log, and deduplicates:
 *
 *  - the same crash signature on the same target as an earlier reproduced
 *    finding: a duplicate of the first (credit stays with it), state
 *    "duplicate";
 *  - at least two of the top three frames shared with one on the same
 *    target, or the same component, affected range and CWE: a "probable"
 *    duplicate, recorded for an analyst to confirm or dismiss;
 *  - an alias the submitter named (CVE-..., GHSA-...) that the knowledge base
 *    holds: "already known" (known_vuln).
 *
 * Tenancy (DESIGN.md §7): a finding is visible to its submitter's
 * organisation, to organisations taking part in its disclosure case, and to
 * clearinghouse-wide roles (admin, analyst), always only with a clearance at
 * or above its classification. What the actor may not see is CH_E_NOTFOUND,
 * as if it did not exist. Submitting needs the partner role (or a wide one);
 * validating and confirming matches need a wide role (CH_E_PERM).
 *
 * Every change runs in one write transaction with its audit entry.
 */
#ifndef CH_DISCLOSE_FINDING_H
#define CH_DISCLOSE_FINDING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"
#include "identity/identity.h"
#include "store/store.h"
#include "validate/repro.h"

/* Text fields of a submission. */
#define CH_FINDING_MAX_TITLE 256
#define CH_FINDING_MAX_DESCRIPTION ((size_t)64 << 10)
#define CH_FINDING_MAX_FIELD 512
#define CH_FINDING_MAX_ALIASES 16
/* Rows a list returns at most. */
#define CH_FINDING_LIST_MAX 1000

/*
 * Who is acting. The CLI acts as CH_DISCLOSE_ACTOR_LOCAL (a local
 * administrator) unless told to act as a user; the server builds one from
 * the principal. name is the audit actor ("user:alice", "cli"); borrowed.
 */
struct ch_disclose_actor {
    int64_t org_id; /* 0: no organisation (the local administrator) */
    unsigned roles; /* enum ch_role bits */
    enum ch_clearance clearance;
    const char *name;
};

#define CH_DISCLOSE_ACTOR_LOCAL                                                                    \
    ((struct ch_disclose_actor){.org_id = 0,                                                       \
                                .roles = CH_ROLE_ADMIN | CH_ROLE_ANALYST,                          \
                                .clearance = CH_CLEAR_TOP_SECRET,                                  \
                                .name = "cli"})

/* The actor of an authenticated principal; name_buf (64 bytes+) receives "user:NAME". */
void ch_disclose_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                      size_t name_buf_size, struct ch_disclose_actor *ret);
/* The actor of a user by name (`--as USER`); CH_E_NOTFOUND for an unknown or disabled user. */
int ch_disclose_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                               size_t name_buf_size, struct ch_disclose_actor *ret,
                               struct ch_err *err) CH_MUST_CHECK;

/* A submission. Every pointer is borrowed for the call. */
struct ch_finding_new {
    int64_t org_id;        /* 0: the actor's organisation (the local administrator must name one) */
    const char *target;    /* what was tested: purl, repository URL or name (required) */
    const char *ecosystem; /* OSV ecosystem of the component ("OSS-Fuzz", "PyPI"), or NULL */
    const char *component; /* affected package or product (required) */
    const char *vendor;    /* NULL: the component's name serves as vendor in CSAF */
    const char *version;   /* version the finding was made on (required) */
    const char *introduced; /* first affected version, NULL: unknown (treated as "0") */
    const char *fixed;      /* first fixed version, NULL: unknown */
    const char *title;
    const char *cwe; /* "CWE-122" */
    const char *description;
    enum ch_clearance classification;
    const char *recipe; /* recipe JSON (validated on submission) */
    size_t recipe_len;
    const struct ch_repro_file *files;
    size_t n_files;
    const char *const *aliases; /* CVE-..., GHSA-..., OSV ids the submitter names */
    size_t n_aliases;
};

int ch_finding_submit(struct ch_store *s, const struct ch_disclose_actor *actor,
                      const struct ch_finding_new *f, int64_t now, int64_t *ret_id,
                      struct ch_err *err) CH_MUST_CHECK;

/* One finding as a JSON object (files with digests, runs, matches); CH_E_NOTFOUND if not visible.
 */
int ch_finding_show_json(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                         struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/* Visible findings, newest first, as a JSON array; state NULL: any. */
int ch_finding_list_json(struct ch_store *s, const struct ch_disclose_actor *actor,
                         const char *state, struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/*
 * The verdict at submission, before anything runs: what can be told from the
 * submission alone, by the rules validation also applies. "duplicate": an
 * earlier finding on the same target has the very same PoC (poc_digest);
 * "already_known": an alias is a record of the knowledge base; "probable":
 * findings with the same component, affected versions and CWE; else "new".
 * Nothing is recorded: validation reproduces the finding and records the
 * verdict it reaches (ch_finding_validate()).
 */
struct ch_finding_intake {
    const char *verdict;  /* static string */
    int64_t duplicate_of; /* 0: none, or not visible to the actor (existence is not leaked) */
    unsigned n_probable;
    char known_vuln[132]; /* "" unless already known */
};

/* The verdict for finding id as the actor sees it; CH_E_NOTFOUND if not visible. */
int ch_finding_intake_check(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                            struct ch_finding_intake *ret, struct ch_err *err) CH_MUST_CHECK;
/* {"verdict", "duplicate_of", "probable_duplicates", "known_vuln"} */
void ch_finding_intake_json(const struct ch_finding_intake *v, struct ch_jw *w);

/* What a validation found. */
struct ch_finding_validation {
    int64_t run_id;
    enum ch_repro_outcome outcome;
    unsigned n_runs;
    unsigned n_matched;
    enum ch_crash_class cls;
    char signature[CH_SANREPORT_SIG_HEX + 1];
    int64_t duplicate_of; /* 0: none */
    unsigned n_probable;  /* probable duplicates recorded */
    char known_vuln[132]; /* "" unless already known */
    const char *state;    /* the finding's new state (static string) */
};

/*
 * Reproduces the finding (outside any transaction: it takes seconds), then
 * records the run with its log, the finding's state and signature, and the
 * deduplication matches, with an audit entry, in one transaction. Needs a
 * wide role. Errors: CH_E_NOTFOUND, CH_E_PERM, the reproduction's errors
 * (CH_E_UNAVAILABLE without a sandbox), store errors.
 */
int ch_finding_validate(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                        const struct ch_repro_options *opts, int64_t now,
                        struct ch_finding_validation *ret, struct ch_err *err) CH_MUST_CHECK;

/* The validation result as a JSON object. */
void ch_finding_validation_json(const struct ch_finding_validation *v, int64_t finding_id,
                                struct ch_jw *w);

/*
 * An analyst's decision on a probable duplicate (match id): confirmed makes
 * the finding a duplicate of the match's other finding; dismissed leaves it.
 * finding_id > 0: the match must be one of that finding's (CH_E_NOTFOUND
 * otherwise), as when the API names both; 0: any finding's.
 */
int ch_finding_match_resolve(struct ch_store *s, const struct ch_disclose_actor *actor,
                             int64_t finding_id, int64_t match_id, bool confirmed, int64_t now,
                             struct ch_err *err) CH_MUST_CHECK;

/*
 * Loads a finding's PoC files (owned: ch_finding_files_free) and recipe
 * (owned text) for a reproduction; checks visibility. For case.c.
 */
struct ch_finding_poc {
    struct ch_repro_file *files;
    size_t n_files;
    char *recipe;
    size_t recipe_len;
};
int ch_finding_poc_load(struct ch_store *s, const struct ch_disclose_actor *actor, int64_t id,
                        struct ch_finding_poc *ret, struct ch_err *err) CH_MUST_CHECK;
void ch_finding_poc_release(struct ch_finding_poc *p);

/*
 * Reads a PoC directory from disk into files (paths relative to dir, in name
 * order; symlinks and special files refused; CH_REPRO_* limits).
 * Owned: ch_finding_poc_release (recipe left NULL).
 */
int ch_finding_poc_read_dir(const char *dir, struct ch_finding_poc *ret,
                            struct ch_err *err) CH_MUST_CHECK;

#endif
