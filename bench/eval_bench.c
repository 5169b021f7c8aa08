/* SPDX-License-Identifier: Apache-2.0
 *
 * eval_bench.c: the evaluation harness's own cost per model call, and
 * sustained concurrency against a local OpenAI-compatible endpoint.
 *
 *   eval_bench [--refmodel PATH] [--calls N] [--latency-ms L] [--inflight C]
 *              [--seconds S (whole)]
 *
 * It starts tests/eval/refmodel (mode null: a fixed answer, no suite) in
 * another process, so this process's CPU time (getrusage) is the harness
 * alone: composing the conversation (cJSON), the client's curl multi loop,
 * HTTP, parsing the answer with the project's JSON reader.
 *
 *   1. overhead: N calls, 16 threads, endpoint latency 0; CPU time per call.
 *   2. concurrency: C threads (256 by default) call in a loop for S seconds
 *      against an endpoint answering after L ms (200 by default); reports the
 *      mean and minimum number of requests in flight, throughput, and CPU
 *      time per call.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/num.h"
#include "eval/model.h"

static const char *refmodel = "tests/eval/refmodel";
static struct ch_model_client *client;
static volatile int stop;
static long calls_per_thread;

/* A decimal number of the command line or a header; 0 when malformed. */
static int64_t num(const char *s)
{
    int64_t v = 0;
    struct ch_err e = CH_ERR_INIT;
    if (s == NULL ||
        ch_num_parse_i64(ch_str_trim(ch_str_c(s)), INT64_MIN, INT64_MAX, &v, &e) != CH_OK)
        return 0;
    return v;
}

static pid_t start_ref(int latency, int *ret_port)
{
    char lat[32];
    snprintf(lat, sizeof(lat), "%d", latency);
    int p[2];
    if (pipe(p) != 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], 1);
        execl(refmodel, refmodel, "--mode", "null", "--latency-ms", lat, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[64] = {0};
    size_t n = 0;
    while (n < sizeof(line) - 1 && read(p[0], line + n, 1) == 1 && line[n] != '\n')
        n++;
    close(p[0]);
    if (strncmp(line, "listening on ", 13) != 0) {
        fprintf(stderr, "eval_bench: cannot start %s (use --refmodel)\n", refmodel);
        exit(1);
    }
    *ret_port = (int)num(line + 13);
    return pid;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One agent-like call: a conversation of a few turns, serialised, sent, parsed. */
static int one_call(cJSON *msgs, unsigned turn)
{
    char *body = cJSON_PrintUnformatted(msgs);
    struct ch_model_request req = {
        .messages_json = body, .sample_key = "bench/task/1", .turn = turn, .max_tokens = 1024};
    struct ch_model_response r;
    struct ch_err err = CH_ERR_INIT;
    int rc = ch_model_call(client, &req, &r, &err);
    int ok = rc == CH_OK && r.status == CH_MODEL_OK && r.content != NULL;
    ch_model_response_release(&r);
    cJSON_free(body);
    return ok;
}

static cJSON *conversation(void)
{
    cJSON *m = cJSON_CreateArray();
    char text[2048];
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    const char *roles[] = {"system", "user", "assistant", "tool", "assistant", "tool"};
    for (size_t i = 0; i < 6; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", roles[i]);
        cJSON_AddStringToObject(o, "content", text);
        cJSON_AddItemToArray(m, o);
    }
    return m;
}

static void *loop(void *arg)
{
    (void)arg;
    cJSON *msgs = conversation();
    long n = 0;
    while (!stop && (calls_per_thread == 0 || n < calls_per_thread)) {
        if (!one_call(msgs, (unsigned)n + 1))
            fprintf(stderr, "eval_bench: a call failed\n");
        n++;
    }
    cJSON_Delete(msgs);
    return (void *)(intptr_t)n;
}

static long run_threads(int n_threads, double seconds, double *ret_mean_inflight,
                        uint64_t *ret_min_inflight)
{
    pthread_t *th = ch_calloc((size_t)n_threads, sizeof(*th));
    stop = 0;
    for (int i = 0; i < n_threads; i++)
        pthread_create(&th[i], NULL, loop, NULL);
    double sum = 0;
    uint64_t min = UINT64_MAX;
    long samples = 0;
    if (seconds > 0) {
        int64_t t0 = ch_clock_mono_ms();
        usleep(300000); /* ramp up */
        while ((double)(ch_clock_mono_ms() - t0) < seconds * 1000) {
            struct ch_model_stats st;
            ch_model_stats(client, &st);
            sum += (double)st.in_flight;
            if (st.in_flight < min)
                min = st.in_flight;
            samples++;
            usleep(10000);
        }
        stop = 1;
    }
    long total = 0;
    for (int i = 0; i < n_threads; i++) {
        void *r;
        pthread_join(th[i], &r);
        total += (long)(intptr_t)r;
    }
    ch_free(th);
    if (ret_mean_inflight != NULL)
        *ret_mean_inflight = samples > 0 ? sum / (double)samples : 0;
    if (ret_min_inflight != NULL)
        *ret_min_inflight = min;
    return total;
}

int main(int argc, char **argv)
{
    long calls = 20000;
    int latency = 200, inflight = 256;
    double seconds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--refmodel") == 0)
            refmodel = argv[i + 1];
        else if (strcmp(argv[i], "--calls") == 0)
            calls = (long)num(argv[i + 1]);
        else if (strcmp(argv[i], "--latency-ms") == 0)
            latency = (int)num(argv[i + 1]);
        else if (strcmp(argv[i], "--inflight") == 0)
            inflight = (int)num(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = (double)num(argv[i + 1]);
    }
    ch_json_global_init();
    signal(SIGPIPE, SIG_IGN);

    /* 1. overhead per call */
    int port = 0;
    pid_t ref = start_ref(0, &port);
    char ep[64];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/v1", port);
    struct ch_model_options o = {.endpoint = ep, .model = "bench", .concurrency = 16};
    struct ch_err err = CH_ERR_INIT;
    if (ch_model_client_new(&o, &client, &err) != CH_OK) {
        fprintf(stderr, "eval_bench: %s\n", err.msg);
        return 1;
    }
    calls_per_thread = calls / 16;
    double c0 = cpu_seconds();
    int64_t t0 = ch_clock_mono_ms();
    long done = run_threads(16, 0, NULL, NULL);
    double cpu = cpu_seconds() - c0;
    int64_t wall = ch_clock_mono_ms() - t0;
    printf("overhead: %ld calls (12 kB conversations), %.3f s wall, harness CPU %.1f us/call "
           "(%.0f calls/s)\n",
           done, (double)wall / 1000, cpu / (double)done * 1e6,
           (double)done * 1000.0 / (double)wall);
    ch_model_client_free(client);
    kill(ref, SIGKILL);
    waitpid(ref, NULL, 0);

    /* 2. sustained concurrency */
    ref = start_ref(latency, &port);
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/v1", port);
    o = (struct ch_model_options){
        .endpoint = ep, .model = "bench", .concurrency = (unsigned)inflight};
    if (ch_model_client_new(&o, &client, &err) != CH_OK) {
        fprintf(stderr, "eval_bench: %s\n", err.msg);
        return 1;
    }
    calls_per_thread = 0;
    double mean = 0;
    uint64_t min = 0;
    c0 = cpu_seconds();
    t0 = ch_clock_mono_ms();
    done = run_threads(inflight, seconds, &mean, &min);
    cpu = cpu_seconds() - c0;
    wall = ch_clock_mono_ms() - t0;
    struct ch_model_stats st;
    ch_model_stats(client, &st);
    printf("concurrency: %d callers, endpoint latency %d ms, %.1f s: %ld calls, %.0f calls/s "
           "(ideal %.0f), in flight mean %.1f min %llu, retries %llu, harness CPU %.1f us/call\n",
           inflight, latency, (double)wall / 1000, done, (double)done * 1000.0 / (double)wall,
           inflight * 1000.0 / latency, mean, (unsigned long long)min,
           (unsigned long long)st.retries, cpu / (double)done * 1e6);
    ch_model_client_free(client);
    kill(ref, SIGKILL);
    waitpid(ref, NULL, 0);
    return 0;
}
