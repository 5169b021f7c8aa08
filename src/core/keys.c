/* SPDX-License-Identifier: Apache-2.0
 *
 * keys.c: key files (see keys.h). Files hold raw key bytes; they are created
 * with O_EXCL so two processes initialising at once cannot overwrite each
 * other's key, and with mode 0600 from the first byte (no chmod window).
 */
#include "core/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ch_crypto_init(struct ch_err *err)
{
    if (sodium_init() < 0)
        return ch_err_set(err, CH_E_INTERNAL, "cannot initialise libsodium");
    return CH_OK;
}

static int write_new(const char *dir, const char *name, const void *data, size_t len,
                     struct ch_err *err)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ch_err_set(err, CH_E_IO, "cannot create key file '%s': %s", path, strerror(errno));
    ssize_t n = write(fd, data, len);
    int rc = (n == (ssize_t)len && fsync(fd) == 0) ? CH_OK : CH_E_IO;
    close(fd);
    if (rc != CH_OK) {
        unlink(path);
        return ch_err_set(err, CH_E_IO, "cannot write key file '%s'", path);
    }
    return CH_OK;
}

static int read_exact(const char *dir, const char *name, void *out, size_t len,
                      struct ch_err *err)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return ch_err_set(err, CH_E_NOTFOUND,
                              "key file '%s' is missing (run 'clearinghouse init')", path);
        return ch_err_set(err, CH_E_IO, "cannot open key file '%s': %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        close(fd);
        return ch_err_set(err, CH_E_PERM,
                          "key file '%s' is readable by other users; chmod 600 it", path);
    }
    ssize_t n = read(fd, out, len);
    char extra;
    ssize_t more = read(fd, &extra, 1);
    close(fd);
    if (n != (ssize_t)len || more != 0)
        return ch_err_set(err, CH_E_INVALID, "key file '%s' has the wrong size", path);
    return CH_OK;
}

static bool exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

int ch_keys_create(const char *dir, bool *ret_created, struct ch_err *err)
{
    bool created = false;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ch_err_set(err, CH_E_IO, "cannot create key directory '%s': %s", dir,
                          strerror(errno));
    int rc = CH_OK;
    if (!exists(dir, "signing.key")) {
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        rc = write_new(dir, "signing.key", sk, sizeof(sk), err);
        if (rc == CH_OK) {
            rc = write_new(dir, "signing.pub", pk, sizeof(pk), err);
            created = true;
        }
        sodium_memzero(sk, sizeof(sk));
    }
    if (rc == CH_OK && !exists(dir, "secret.key")) {
        unsigned char key[CH_KEYS_SECRET_BYTES];
        randombytes_buf(key, sizeof(key));
        rc = write_new(dir, "secret.key", key, sizeof(key), err);
        sodium_memzero(key, sizeof(key));
        created = true;
    }
    if (rc == CH_OK)
        *ret_created = created;
    return rc;
}

int ch_keys_load(const char *dir, struct ch_keys *ret, struct ch_err *err)
{
    struct ch_keys k;
    int rc = read_exact(dir, "signing.key", k.sign_sk, sizeof(k.sign_sk), err);
    if (rc == CH_OK)
        rc = read_exact(dir, "secret.key", k.secret, sizeof(k.secret), err);
    if (rc == CH_OK) {
        /* the public key is derived, so a tampered signing.pub cannot mislead us */
        crypto_sign_ed25519_sk_to_pk(k.sign_pk, k.sign_sk);
        unsigned char h[8];
        crypto_generichash(h, sizeof(h), k.sign_pk, sizeof(k.sign_pk), NULL, 0);
        char hex[17];
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        snprintf(k.key_id, sizeof(k.key_id), "ed25519:%s", hex);
        memcpy(ret, &k, sizeof(k));
    }
    sodium_memzero(&k, sizeof(k));
    return rc;
}

void ch_keys_wipe(struct ch_keys *k)
{
    sodium_memzero(k, sizeof(*k));
}
