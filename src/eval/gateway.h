/* SPDX-License-Identifier: Apache-2.0
 *
 * gateway.h: trusted partners' time-boxed, audited access to models through
 * the clearinghouse (DESIGN.md §1 item 6), minus the HTTP forwarding, which
 * lives in src/http/h_gateway.c.
 *
 * Partners. The developer of a model and the clearinghouse each name
 * trusted partner organisations for it (ch_gateway_partner_name); a
 * partnership is active once both have named it and until it is revoked.
 * It carries the organisation's limits: requests and tokens per UTC day and
 * requests per minute (0: none).
 *
 * Grants. A grant gives one user of an active partner organisation an API
 * token (identity.h, scope "partner", expiring with the grant) scoped to one
 * model for [starts_at, expires_at), at most CH_GATEWAY_MAX_GRANT_DAYS days.
 * eval_grants is keyed by the token's id, so a token reaches exactly one
 * model: a request naming any other model is answered "no model", as if it
 * did not exist.
 *
 * A call (ch_gateway_authorize) is allowed when the token has a grant for
 * the named model, the grant is within its time box and not revoked, the
 * partnership is active, neither the model's nor the global kill switch is
 * engaged, and the model is either in an active pre-release window
 * (windows.h) or designated covered (designate.h), all at the caller's
 * `now`. Quotas are reserved by one atomic UPDATE per period
 * (used + n <= quota), so concurrent calls, threads or processes, never
 * exceed them; tokens are reserved as the request's max_tokens plus an
 * estimate of the prompt (bytes / 4) and settled to the real usage when the
 * call is recorded. During a call, ch_gateway_still_allowed() re-checks
 * revocation, kill switches and the window, so a revoked partner's
 * in-flight call is cut.
 *
 * Recording. Every authorised call is recorded (ch_gateway_record):
 * request and response sealed (seal.h) in eval_gateway_log, their BLAKE2b
 * digests in the audit chain ("gateway.call"), for insider-risk review. A
 * call that cannot be recorded is not answered.
 *
 * Thread-safety: all functions use the store given (one per thread).
 */
#ifndef CH_EVAL_GATEWAY_H
#define CH_EVAL_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/keys.h"
#include "eval/models.h"
#include "identity/identity.h"

struct ch_store;

/* Longest grant: as long as the longest window. */
#define CH_GATEWAY_MAX_GRANT_DAYS 30
/* Quota values accepted (requests or tokens per day). */
#define CH_GATEWAY_MAX_QUOTA ((int64_t)1 << 40)
/* Attempts of the quota transaction when the database is busy. */
#define CH_GATEWAY_BUSY_RETRIES 50

struct ch_gateway_limits {
    int64_t requests_per_day;    /* 0: unlimited */
    int64_t tokens_per_day;      /* 0: unlimited */
    int64_t requests_per_minute; /* 0: unlimited */
};

/*
 * Names org_slug a trusted partner of a model, as its developer (the
 * actor's organisation owns the model) or as the clearinghouse (wide role);
 * `limits` (may be NULL) sets the quotas, last writer wins. Naming a revoked
 * partner again restores it. CH_E_INVALID when the organisation is not a
 * partner organisation. Audited.
 */
int ch_gateway_partner_name(struct ch_store *s, const struct ch_eval_actor *a,
                            const char *model_ref, const char *org_slug,
                            const struct ch_gateway_limits *limits, int64_t now,
                            struct ch_err *err) CH_MUST_CHECK;
/* Revokes the partnership and every grant (and token) under it. Developer or wide. */
int ch_gateway_partner_revoke(struct ch_store *s, const struct ch_eval_actor *a,
                              const char *model_ref, const char *org_slug, int64_t now,
                              struct ch_err *err) CH_MUST_CHECK;
/* Partners of a model (developer, evaluators and wide roles). */
int ch_gateway_partner_list_json(struct ch_store *s, const struct ch_eval_actor *a,
                                 const char *model_ref, struct ch_jw *w,
                                 struct ch_err *err) CH_MUST_CHECK;

struct ch_gateway_grant_new {
    const char *model; /* model reference */
    const char *user;  /* a user with the partner role in an active partner organisation */
    int64_t starts_at;
    int64_t expires_at; /* at most CH_GATEWAY_MAX_GRANT_DAYS days after starts_at */
};

/*
 * Issues a grant and its token (written to ret_token, shown once). Developer
 * of the model or wide role. Audited "gateway.grant".
 */
int ch_gateway_grant_create(struct ch_store *s, const struct ch_eval_actor *a,
                            const struct ch_gateway_grant_new *g, int64_t now,
                            int64_t *ret_grant_id, char ret_token[CH_TOKEN_MAX],
                            struct ch_err *err) CH_MUST_CHECK;
/* Revokes a grant and its token at once; an in-flight call is cut at its next check. */
int ch_gateway_grant_revoke(struct ch_store *s, const struct ch_eval_actor *a, int64_t grant_id,
                            int64_t now, struct ch_err *err) CH_MUST_CHECK;
/* Grants visible to the actor (a partner sees its organisation's). */
int ch_gateway_grant_list_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                               struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;

/* The global kill switch (wide roles). Audited. */
int ch_gateway_set_global_kill(struct ch_store *s, const struct ch_eval_actor *a, bool engaged,
                               const char *reason, int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* ---- one call ------------------------------------------------------------------------- */

/*
 * What an authorised call may use. Owns `credential` (opened API key of the
 * endpoint): release with ch_gateway_ticket_release(), which wipes it.
 */
struct ch_gateway_ticket {
    int64_t grant_id;
    int64_t token_id;
    int64_t model_id;
    int64_t org_id;
    int64_t user_id;
    int64_t window_id; /* the window giving access; 0: the model is designated covered */
    int64_t day_start; /* quota period of the reservation */
    int64_t reserved_tokens;
    char endpoint[CH_MODELS_MAX_URL + 1];
    char upstream_model[CH_MODELS_MAX_NAME + 1];
    struct ch_buf credential;
};

void ch_gateway_ticket_release(struct ch_gateway_ticket *t);

/*
 * Authorises one call of principal p for model_ref and reserves quota
 * (one request, reserve_tokens tokens). On success *ret is filled (release
 * it). Errors: CH_E_NOTFOUND "no model" (not granted to this token),
 * CH_E_PERM (grant revoked, expired or not started; partnership inactive;
 * no open window and not designated), CH_E_UNAVAILABLE (kill switch),
 * CH_E_RATE (quota or rate), CH_E_DB.
 */
int ch_gateway_authorize(struct ch_store *s, const struct ch_keys *keys,
                         const struct ch_principal *p, const char *model_ref,
                         int64_t reserve_tokens, int64_t now, struct ch_gateway_ticket *ret,
                         struct ch_err *err) CH_MUST_CHECK;

/*
 * Re-checks an authorised call at `now`: CH_OK, or CH_E_PERM (revoked,
 * expired, window over or closed) / CH_E_UNAVAILABLE (kill switch) with the
 * reason. Read-only; cheap (three indexed reads).
 */
int ch_gateway_still_allowed(struct ch_store *s, const struct ch_gateway_ticket *t, int64_t now,
                             struct ch_err *err) CH_MUST_CHECK;

struct ch_gateway_record {
    const char *actor;   /* "user:NAME" */
    int status;          /* HTTP status returned to the partner */
    const char *outcome; /* "ok", "upstream_error", "unreachable", "cut" */
    const char *request; /* as received */
    size_t request_len;
    const char *response; /* as received from upstream (may be partial or NULL) */
    size_t response_len;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t upstream_ms;
};

/*
 * Records a call (sealed content, digests in the audit chain) and settles
 * the token reservation, in one transaction. *ret_log_id is the log row.
 */
int ch_gateway_record(struct ch_store *s, const struct ch_keys *keys,
                      const struct ch_gateway_ticket *t, const struct ch_gateway_record *r,
                      int64_t now, int64_t *ret_log_id, struct ch_err *err) CH_MUST_CHECK;

/* The call log of a model, without content (wide roles): for insider-risk review. */
int ch_gateway_log_json(struct ch_store *s, const struct ch_eval_actor *a, int64_t model_id,
                        struct ch_jw *w, struct ch_err *err) CH_MUST_CHECK;
/* Opens one logged call's request and response (wide roles, audited "gateway.log_read"). */
int ch_gateway_log_open(struct ch_store *s, const struct ch_keys *keys,
                        const struct ch_eval_actor *a, int64_t log_id, int64_t now,
                        struct ch_buf *ret_request, struct ch_buf *ret_response,
                        struct ch_err *err) CH_MUST_CHECK;

/* Usage of an organisation for a model on the UTC day of `now`. */
int ch_gateway_usage(struct ch_store *s, int64_t model_id, int64_t org_id, int64_t now,
                     int64_t *ret_requests, int64_t *ret_tokens, struct ch_err *err) CH_MUST_CHECK;

#endif
