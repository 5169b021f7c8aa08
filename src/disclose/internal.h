/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h: shared by the files of src/disclose only.
 */
#ifndef CH_DISCLOSE_INTERNAL_H
#define CH_DISCLOSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "disclose/finding.h"

/* Turns a numeric limit macro into SQL text. */
#define CH_DISCLOSE__STR2(x) #x
#define CH_STRINGIFY(x) CH_DISCLOSE__STR2(x)

/* Admin or analyst: sees and manages every finding and case. */
static inline bool ch_disclose__wide(const struct ch_disclose_actor *a)
{
    return (a->roles & CH_ROLE_WIDE) != 0;
}

/* What visibility rests on. */
struct ch_disclose__scope {
    int64_t org_id; /* submitter's organisation */
    enum ch_clearance classification;
    int64_t case_id; /* 0: no case */
};

/*
 * Loads the finding's scope and checks the actor may see it: CH_E_NOTFOUND
 * ("no finding N") when it does not exist or is not visible.
 */
int ch_disclose__finding_scope(struct ch_store *s, const struct ch_disclose_actor *a,
                               int64_t finding_id, struct ch_disclose__scope *ret,
                               struct ch_err *err) CH_MUST_CHECK;

/* Whether the actor may see an object of this scope (participants included). */
int ch_disclose__visible(struct ch_store *s, const struct ch_disclose_actor *a,
                         const struct ch_disclose__scope *scope, bool *ret,
                         struct ch_err *err) CH_MUST_CHECK;

/* Appends an audit entry (actor's name) inside the caller's transaction. */
int ch_disclose__audit(struct ch_store *s, const struct ch_disclose_actor *a, const char *action,
                       const char *object, const char *details, int64_t now,
                       struct ch_err *err) CH_MUST_CHECK;

/* Records a reproduction run; *ret_id is its id. Inside the caller's transaction. */
int ch_disclose__insert_run(struct ch_store *s, const struct ch_disclose_actor *a,
                            int64_t finding_id, const char *kind, const struct ch_repro_result *r,
                            const char *recipe, const char *fixed_version, int64_t now,
                            int64_t *ret_id, struct ch_err *err) CH_MUST_CHECK;

/*
 * Queues the case_state webhook event of history row event_id (from NULL:
 * the case opened) for the organisations that may hear it (caseevent.c).
 * Inside the caller's transaction, so a rolled-back change queues nothing.
 */
int ch_disclose__case_event(struct ch_store *s, int64_t case_id, int64_t event_id, const char *from,
                            const char *to, int64_t at, struct ch_err *err) CH_MUST_CHECK;

#endif
