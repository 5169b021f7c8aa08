/* SPDX-License-Identifier: Apache-2.0
 *
 * models.h: the registry of models offered for evaluation (DESIGN.md §1
 * item 6), and who is acting on it.
 *
 * A model belongs to one developer organisation and has a name, a version,
 * an OpenAI-compatible endpoint, the "model" value that endpoint expects,
 * credentials (the endpoint's API key, sealed at rest with the server's
 * secret key: libsodium secretbox under a derived key, random nonce; see
 * seal.h), a pre-release flag, a planned release date and a classification.
 * The pair (name, version) is unique; "NAME@VERSION" names a model
 * everywhere (CLI, gateway requests), and "NAME" alone when only one version
 * is visible to the caller.
 *
 * Visibility (DESIGN.md §7): clearinghouse-wide roles (admin, analyst) and
 * evaluators see every model their clearance allows; a developer sees its
 * own organisation's models; a partner sees the models its organisation
 * holds an active partnership for. Anything else is answered "no model",
 * exactly as for a model that does not exist. Credentials are never
 * returned by the listing functions; ch_models_credentials() opens them for
 * the harness and the gateway only.
 *
 * Thread-safety: functions use the store they are given (one connection per
 * thread); no global state.
 */
#ifndef CH_EVAL_MODELS_H
#define CH_EVAL_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/keys.h"
#include "identity/identity.h"

struct ch_store;

/* Bytes of a model name and version: identifiers, not prose. */
#define CH_MODELS_MAX_NAME 128u
#define CH_MODELS_MAX_VERSION 64u
/* Bytes of an endpoint URL (the model client's own limit). */
#define CH_MODELS_MAX_URL 2048u
/* Bytes of an API key: real keys are under 200 bytes. */
#define CH_MODELS_MAX_CREDENTIAL 4096u
/* Models listed at once. */
#define CH_MODELS_MAX_LIST 10000u

/*
 * Who is acting: built from an authenticated principal (server) or from a
 * user named on the command line (`--as USER`); CH_EVAL_ACTOR_LOCAL is the
 * local administrator of the CLI. `name` is the audit actor, borrowed.
 */
struct ch_eval_actor {
    int64_t user_id; /* 0: the local administrator */
    int64_t org_id;  /* 0: no organisation */
    enum ch_org_category org_category;
    unsigned roles; /* enum ch_role bits */
    enum ch_clearance clearance;
    const char *name; /* "user:alice", "cli" */
};

#define CH_EVAL_ACTOR_LOCAL                                                                        \
    ((struct ch_eval_actor){.user_id = 0,                                                          \
                            .org_id = 0,                                                           \
                            .org_category = CH_ORG_CLEARINGHOUSE,                                  \
                            .roles = CH_ROLE_ADMIN | CH_ROLE_ANALYST | CH_ROLE_EVALUATOR,          \
                            .clearance = CH_CLEAR_TOP_SECRET,                                      \
                            .name = "cli"})

/* The actor of a principal; name_buf (at least 140 bytes) receives "user:NAME". */
void ch_eval_actor_from_principal(const struct ch_principal *p, char *name_buf,
                                  size_t name_buf_size, struct ch_eval_actor *ret);
/* The actor of an enabled user, by name (CH_E_NOTFOUND "no user"). */
int ch_eval_actor_for_user(struct ch_store *s, const char *user, char *name_buf,
                           size_t name_buf_size, struct ch_eval_actor *ret,
                           struct ch_err *err) CH_MUST_CHECK;
/* Clearinghouse-wide (admin or analyst). */
bool ch_eval_actor_wide(const struct ch_eval_actor *a);
/* Wide or evaluator: may see every model and read sealed content (clearance permitting). */
bool ch_eval_actor_evaluates(const struct ch_eval_actor *a);

/* Appends an audit entry for the actor (inside the caller's write transaction). */
int ch_eval_audit(struct ch_store *s, const struct ch_eval_actor *a, const char *action,
                  const char *object, const char *details, int64_t now,
                  struct ch_err *err) CH_MUST_CHECK;

/* ---- the registry ---------------------------------------------------------------------- */

struct ch_models_new {
    int64_t org_id;             /* a developer organisation */
    const char *name;           /* [A-Za-z0-9._-]{1,128} */
    const char *version;        /* [A-Za-z0-9._-]{1,64} */
    const char *endpoint;       /* http:// or https:// base URL ("/chat/completions" is appended) */
    const char *upstream_model; /* NULL: name */
    const char *credential;     /* API key or NULL; sealed before it is stored */
    bool prerelease;
    int64_t planned_release_at; /* -1: none */
    enum ch_clearance classification;
};

/* A registered model as read from the store. Owned strings; release with ch_models_release(). */
struct ch_models_model {
    int64_t id;
    int64_t org_id;
    char *org_slug;
    char *name;
    char *version;
    char *endpoint;
    char *upstream_model;
    bool has_credential;
    bool prerelease;
    int64_t planned_release_at; /* -1: none */
    enum ch_clearance classification;
    bool gateway_killed;
    int64_t created_at;
};

void ch_models_release(struct ch_models_model *m);

/*
 * Registers a model. Developers may add models only for their own
 * organisation; wide roles for any developer organisation. Errors:
 * CH_E_INVALID (names, URL, organisation not a developer), CH_E_PERM,
 * CH_E_CONFLICT (name and version taken), CH_E_DB. Audited "model.add".
 */
int ch_models_add(struct ch_store *s, const struct ch_keys *keys, const struct ch_eval_actor *a,
                  const struct ch_models_new *m, int64_t now, int64_t *ret_id,
                  struct ch_err *err) CH_MUST_CHECK;

/*
 * Finds a model visible to the actor by "NAME@VERSION", "NAME" (when one
 * version is visible) or its numeric id. CH_E_NOTFOUND otherwise.
 */
int ch_models_find(struct ch_store *s, const struct ch_eval_actor *a, const char *ref,
                   struct ch_models_model *ret, struct ch_err *err) CH_MUST_CHECK;
/* As ch_models_find() by id, without visibility checks (internal callers). */
int ch_models_get(struct ch_store *s, int64_t id, struct ch_models_model *ret,
                  struct ch_err *err) CH_MUST_CHECK;
/* Whether the actor may see model m. */
int ch_models_visible(struct ch_store *s, const struct ch_eval_actor *a,
                      const struct ch_models_model *m, bool *ret, struct ch_err *err) CH_MUST_CHECK;

/* The models visible to the actor as a JSON array, oldest first. */
int ch_models_list_json(struct ch_store *s, const struct ch_eval_actor *a, struct ch_jw *w,
                        struct ch_err *err) CH_MUST_CHECK;
/* One model as a JSON object (no credentials; whether it has some). */
void ch_models_write_json(const struct ch_models_model *m, struct ch_jw *w);

/*
 * Opens the sealed credential of model `id` into out (reset first; NUL-
 * terminated; empty when the model has none). The caller wipes it with
 * ch_seal_buf_wipe() (seal.h). For the harness and the gateway only.
 */
int ch_models_credentials(struct ch_store *s, const struct ch_keys *keys, int64_t id,
                          struct ch_buf *out, struct ch_err *err) CH_MUST_CHECK;

/* Ties an evaluation run to a model (and a window, or 0). CH_E_CONFLICT if already tied. */
int ch_models_attach_run(struct ch_store *s, int64_t model_id, int64_t run_id, int64_t window_id,
                         int64_t now, struct ch_err *err) CH_MUST_CHECK;

/* Per-model gateway kill switch. Wide roles only (CH_E_PERM). Audited. */
int ch_models_set_killed(struct ch_store *s, const struct ch_eval_actor *a, int64_t id, bool killed,
                         const char *reason, int64_t now, struct ch_err *err) CH_MUST_CHECK;

#endif
