// Ember's worker threads for kernels split across cores (see parallelRanges in
// Sources/Ember/Backend/Im2col.swift).
//
// One worker per core but one; the calling thread runs parts too. A job's parts are dealt out in
// contiguous shares, one per thread (the caller's first): each thread runs its own share from the
// front, then takes parts from the back of the others' shares, so on an idle machine every thread
// touches the same memory from one job to the next (which keeps it in that core's caches), and a
// thread slowed down by another process is relieved of its remaining parts. Between jobs a worker
// spins for a short while (kWorkerSpinNanoseconds, yielding its core now and then), so that the
// next kernel of a busy sequence starts at once, and then sleeps on a condition variable; a caller
// waiting for the last parts does the same, for less (kCallerSpinNanoseconds). Unlike an OpenMP or
// OpenBLAS pool, no thread holds a core for long while it waits, which matters next to another
// busy process. A worker woken on its caller's core moves off it (leave_callers_core).
#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include "CEmberKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

enum { kMaxWorkers = 63, kMaxThreads = kMaxWorkers + 1 };
static const int64_t kCallerSpinNanoseconds = 20000;
// Longer for a worker: every sleep costs a wake-up, and a wake-up can land on the caller's core.
static const int64_t kWorkerSpinNanoseconds = 200000;

// The current job. `ticket` packs the job's generation (bits 32-63) and its number of parts
// (16-31). Each share packs the generation, the next part of the share (16-31) and its end (0-15):
// a thread claims a part by one compare-and-swap on a share, so it can never claim a part of a
// newer job than the one it read.
static _Atomic uint64_t ticket = 0;
typedef struct {
    _Atomic uint64_t word;
    char padding[64 - sizeof(uint64_t)];  // one cache line per share
} share;
static _Alignas(64) share shares[kMaxThreads];
static _Thread_local int share_index = 0;
static _Atomic int64_t parts_done = 0;
static _Atomic int sleeping = 0;
static _Atomic int caller_waiting = 0;
static ember_task_fn job_fn;
static void *job_context;

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int worker_count = 0;

static _Thread_local int parallel_region = 0;
int ember_parallel_region(void) { return parallel_region; }

int ember_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0)
        return CPU_COUNT(&allowed);
#endif
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

static inline uint32_t generation(uint64_t t) { return (uint32_t)(t >> 32); }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static int64_t now_nanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Claims a part of job `gen` from `s` into `*part` (by CAS on the share's word): the front part
// for the share's owner, the back one for any other thread. Returns 0 when the share has none left.
static int claim(share *s, uint32_t gen, int from_front, int64_t *part) {
    uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
    for (;;) {
        const uint64_t next = (w >> 16) & 0xffff, end = w & 0xffff;
        if (generation(w) != gen || next >= end) return 0;
        const uint64_t taken = from_front ? w + (1u << 16) : w - 1;
        if (atomic_compare_exchange_weak_explicit(&s->word, &w, taken, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *part = (int64_t)(from_front ? next : end - 1);
            return 1;
        }
    }
}

// Runs parts of job `gen` until none is left: this thread's share first, then the others'.
static void run_parts(uint32_t gen) {
    // The worker count is final before the first job is posted, and so is seen by every thread
    // that read a job's generation.
    const int threads = worker_count + 1;
    const int64_t parts = (int64_t)((atomic_load_explicit(&ticket, memory_order_acquire) >> 16) & 0xffff);
    for (int k = 0; k < threads; k++) {
        share *s = &shares[(share_index + k) % threads];
        int64_t part;
        while (claim(s, gen, k == 0, &part)) {
            // A claimed part keeps its job unfinished, so these are still the job's fields.
            job_fn(job_context, part);
            // The last part wakes the caller if it went to sleep waiting for it.
            if (atomic_fetch_add(&parts_done, 1) + 1 == parts && atomic_load(&caller_waiting)) {
                pthread_mutex_lock(&done_lock);
                pthread_cond_signal(&done_cond);
                pthread_mutex_unlock(&done_lock);
            }
        }
    }
}

// Waits until a job newer than `seen` is posted: spinning first, then asleep.
static uint32_t wait_for_job(uint32_t seen) {
    const int64_t start = now_nanoseconds();
    for (int64_t spins = 1;; spins++) {
        const uint32_t gen = generation(atomic_load_explicit(&ticket, memory_order_acquire));
        if (gen != seen) return gen;
        cpu_relax();
        if (spins % 256 == 0) {
            if (now_nanoseconds() - start > kWorkerSpinNanoseconds) break;
            sched_yield();
        }
    }
    pthread_mutex_lock(&park_lock);
    atomic_fetch_add(&sleeping, 1);
    uint32_t gen;
    while ((gen = generation(atomic_load(&ticket))) == seen) pthread_cond_wait(&park_cond, &park_lock);
    atomic_fetch_sub(&sleeping, 1);
    pthread_mutex_unlock(&park_lock);
    return gen;
}

// The generation before the workers started: a worker that starts after the first job was posted
// must still take part in it.
static uint32_t generation_at_start;

#if defined(__linux__)
// The core the caller of the current job runs on.
static _Atomic int caller_cpu = -1;
#endif

// Moves a worker that was woken on the caller's core to another one. The scheduler can wake the
// worker next to the caller and leave it there (seen under KVM, perhaps because an idle vCPU whose
// host thread is descheduled counts as busy): both then share one core for whole runs, and in
// about one process in three the GEMMs ran at one core's speed. Barring the current core for a
// moment makes the kernel migrate the thread; the full set is restored at once.
static void leave_callers_core(void) {
#if defined(__linux__)
    const int here = sched_getcpu();
    if (here < 0 || here != atomic_load_explicit(&caller_cpu, memory_order_relaxed)) return;
    cpu_set_t allowed, others;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
    others = allowed;
    CPU_CLR(here, &others);
    if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof(others), &others) != 0) return;
    sched_setaffinity(0, sizeof(allowed), &allowed);
#endif
}

static void *worker_main(void *index) {
    share_index = (int)(intptr_t)index;
    uint32_t seen = generation_at_start;
    for (;;) {
        seen = wait_for_job(seen);
        leave_callers_core();
        parallel_region = 1;
        run_parts(seen);
        parallel_region = 0;
    }
    return NULL;
}

// A child process after fork() has none of the workers: it runs every job on its own thread.
static void forget_workers_after_fork(void) {
    worker_count = 0;
    atomic_store(&sleeping, 0);
    atomic_store(&caller_waiting, 0);
    const pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;
    const pthread_cond_t fresh = PTHREAD_COND_INITIALIZER;
    run_lock = park_lock = done_lock = unlocked;
    park_cond = done_cond = fresh;
}

static void start_workers(void) {
    pthread_atfork(NULL, NULL, forget_workers_after_fork);
    int wanted = ember_cpu_count() - 1;
    if (wanted > kMaxWorkers) wanted = kMaxWorkers;
    generation_at_start = generation(atomic_load(&ticket));
    for (int i = 0; i < wanted; i++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)(worker_count + 1)) == 0)
            worker_count++;
        pthread_attr_destroy(&attributes);
    }
}

void ember_parallel_run(int64_t parts, ember_task_fn fn, void *context) {
    if (parts > 1 && parts <= 0xffff) pthread_once(&start_once, start_workers);
    // One job at a time: a second caller (another thread of the program) runs its parts itself.
    if (parts <= 1 || parts > 0xffff || worker_count == 0 || pthread_mutex_trylock(&run_lock) != 0) {
        for (int64_t p = 0; p < parts; p++) fn(context, p);
        return;
    }
    job_fn = fn;
    job_context = context;
    atomic_store_explicit(&parts_done, 0, memory_order_relaxed);
    const uint32_t gen = generation(atomic_load(&ticket)) + 1;
    const int threads = worker_count + 1;
    for (int t = 0; t < threads; t++) {
        const uint64_t first = (uint64_t)(parts * t / threads), end = (uint64_t)(parts * (t + 1) / threads);
        atomic_store_explicit(&shares[t].word, ((uint64_t)gen << 32) | (first << 16) | end, memory_order_relaxed);
    }
#if defined(__linux__)
    atomic_store_explicit(&caller_cpu, sched_getcpu(), memory_order_relaxed);
#endif
    // Publishes the shares: a thread that reads this generation from the ticket sees them.
    atomic_store(&ticket, ((uint64_t)gen << 32) | ((uint64_t)parts << 16));
    if (atomic_load(&sleeping) > 0) {
        pthread_mutex_lock(&park_lock);
        pthread_cond_broadcast(&park_cond);
        pthread_mutex_unlock(&park_lock);
    }
    const int outer = parallel_region;
    parallel_region = 1;
    run_parts(gen);
    parallel_region = outer;
    // Parts still running on workers: spin briefly, then sleep, so that a worker waiting for a
    // core (next to another busy process) can be moved onto this one.
    const int64_t start = now_nanoseconds();
    for (int64_t spins = 1; atomic_load_explicit(&parts_done, memory_order_acquire) < parts; spins++) {
        cpu_relax();
        if (spins % 256 == 0 && now_nanoseconds() - start > kCallerSpinNanoseconds) {
            pthread_mutex_lock(&done_lock);
            atomic_store(&caller_waiting, 1);
            while (atomic_load(&parts_done) < parts) pthread_cond_wait(&done_cond, &done_lock);
            atomic_store(&caller_waiting, 0);
            pthread_mutex_unlock(&done_lock);
        }
    }
    pthread_mutex_unlock(&run_lock);
}
