// A small pool for ember's own kernels. Workers spin briefly after each job (a sequence of
// large ops then finds them awake) and sleep on a condition variable after that, so an idle
// pool costs nothing and does not compete with OpenBLAS's threads during GEMMs. The calling
// thread claims chunks like the workers do: a worker that wakes late finds the work done
// instead of delaying it.

#include "ember/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <string>
#include <mutex>
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define EMBER_HAVE_ATFORK 1
#endif
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EMBER_CPU_RELAX() _mm_pause()
#else
#define EMBER_CPU_RELAX() std::this_thread::yield()
#endif

extern "C" int scipy_openblas_get_num_threads(void);
// OpenBLAS's caller-managed threading: when a callback is set, every threaded BLAS call hands
// its per-thread jobs to it instead of waking OpenBLAS's own threads.
using OpenblasDojob = void (*)(int thread_num, void* jobdata, int dojob_data);
using OpenblasThreadsCallback = void (*)(int sync, OpenblasDojob dojob, int numjobs,
                                         size_t jobdata_elsize, void* jobdata, int dojob_data);
extern "C" void scipy_openblas_set_threads_callback_function(OpenblasThreadsCallback callback);

namespace ember::cpu {

namespace {

// The claim counter has a cache line of its own (the job lives on the caller's stack, beside
// whatever the caller writes next).
struct alignas(64) Job {
  uint64_t id;
  int64_t nchunks;
  detail::RangeFn fn;
  void* ctx;
  alignas(64) std::atomic<int64_t> next{0};
};

thread_local bool t_in_region = false;

// How long an idle worker spins before it sleeps: long enough to stay awake across the gaps
// between the ops of a training step. EMBER_POOL_SPIN_US overrides it (read once).
int64_t spin_us() {
  static const int64_t us = [] {
    const char* env = std::getenv("EMBER_POOL_SPIN_US");
    if (env == nullptr || *env == '\0') return int64_t{50};
    char* end = nullptr;
    const long long v = std::strtoll(env, &end, 10);
    return (end != env && v >= 0) ? static_cast<int64_t>(v) : int64_t{50};
  }();
  return us;
}

void drain(Job* job) {
  while (true) {
    const int64_t c = job->next.fetch_add(1, std::memory_order_relaxed);
    if (c >= job->nchunks) return;
    job->fn(job->ctx, c, c + 1);
  }
}

class Pool {
 public:
  ~Pool() { resize(0); }

  // Whether `workers` helper threads exist and none of them sleeps (a job would start at once,
  // with no wake-up call). Callable without the caller's lock: reads atomics only.
  bool awake(int workers) const {
    return workers > 0 && nthreads_.load(std::memory_order_relaxed) == workers &&
           sleepers_.load(std::memory_order_relaxed) == 0;
  }

  // Runs `job` with `workers` helper threads. Serialized by the caller's lock. Returns true
  // when the calling thread waited for a worker longer than it worked itself (a worker was
  // preempted inside a chunk: the machine has more runnable threads than cores).
  bool run(Job* job, int workers) {
    if (static_cast<int>(threads_.size()) != workers) resize(workers);
    job->id = ++last_id_;
    published_id_.store(job->id, std::memory_order_seq_cst);
    job_.store(job, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> g(mu_);
      cv_.notify_all();
    }
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    drain(job);
    const auto t1 = clock::now();
    // No worker may touch `job` once this returns: unpublish, then wait for those inside.
    job_.store(nullptr, std::memory_order_seq_cst);
    // A worker still inside has claimed a chunk; on a busy machine it may have been preempted,
    // so yield the core after a short spin instead of burning the time slice it needs.
    for (int i = 0; inside_.load(std::memory_order_seq_cst) != 0; ++i) {
      if (i < 2000) {
        EMBER_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
    const auto waited = clock::now() - t1;
    return waited > std::chrono::microseconds(20) && waited > t1 - t0;
  }

 private:
  void resize(int workers) {
    if (!threads_.empty()) {
      {
        std::lock_guard<std::mutex> g(mu_);
        stop_.store(true);
      }
      cv_.notify_all();
      for (auto& t : threads_) t.join();
      threads_.clear();
      stop_.store(false);
    }
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
    nthreads_.store(workers, std::memory_order_relaxed);
  }

  // The published job if it is one this worker has not run yet, else null. Announces itself in
  // `inside_` before reading the pointer, so run() cannot return while it holds the job.
  Job* enter(uint64_t seen) {
    inside_.fetch_add(1, std::memory_order_seq_cst);
    Job* j = job_.load(std::memory_order_seq_cst);
    if (j != nullptr && j->id != seen) return j;
    inside_.fetch_sub(1, std::memory_order_seq_cst);
    return nullptr;
  }

  // Never dereferences the job (it may be gone): compares the published id only.
  bool has_new(uint64_t seen) const {
    return job_.load(std::memory_order_seq_cst) != nullptr &&
           published_id_.load(std::memory_order_seq_cst) != seen;
  }

  void loop() {
    t_in_region = true;  // kernels called from a worker never start a nested region
    uint64_t seen = 0;
    using clock = std::chrono::steady_clock;
    while (!stop_.load(std::memory_order_relaxed)) {
      // Spin for a short while before sleeping.
      const auto spin_until = clock::now() + std::chrono::microseconds(spin_us());
      bool found = false;
      for (int i = 0; !found; ++i) {
        if (has_new(seen) || stop_.load(std::memory_order_relaxed)) {
          found = true;
          break;
        }
        EMBER_CPU_RELAX();
        if ((i & 63) == 63 && clock::now() > spin_until) break;
      }
      if (!found) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        cv_.wait(lk, [&] { return stop_.load() || has_new(seen); });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      }
      if (stop_.load()) break;
      if (Job* j = enter(seen)) {
        seen = j->id;
        drain(j);
        inside_.fetch_sub(1, std::memory_order_seq_cst);
      }
    }
  }

  // What the caller publishes, what the workers count and what spinning workers poll live on
  // separate cache lines: each handoff then moves only the lines it has to between the cores
  // (a two-thread fork-join with no work: 800 -> 760 ns on a VM with 300 ns core-to-core
  // round trips).
  std::vector<std::thread> threads_;
  alignas(64) std::atomic<Job*> job_{nullptr};
  std::atomic<uint64_t> published_id_{0};
  alignas(64) std::atomic<int> inside_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  alignas(64) std::atomic<bool> stop_{false};
  std::atomic<int> nthreads_{0};  // threads_.size(), for awake()
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t last_id_ = 0;
};

// Both leaked on purpose: joining threads during static destruction at exit can deadlock.
Pool*& pool_ptr() {
  static Pool* p = new Pool();
  return p;
}
std::mutex*& lock_ptr() {
  static std::mutex* m = new std::mutex();
  return m;
}
Pool& pool() { return *pool_ptr(); }
std::mutex& pool_lock() { return *lock_ptr(); }

// Runs OpenBLAS's jobs of one threaded call on the pool. The jobs of a level-3 call wait on each
// other, so all of them must run at the same time: each needs its own thread. The pool gives
// that when it has a thread per job and is free; otherwise (a nested call, a second Python
// thread using the pool, more jobs than threads) the extra jobs get threads of their own.
struct BlasJobs {
  OpenblasDojob dojob;
  char* data;
  size_t elsize;
  int dojob_data;
};

void run_blas_job(void* p, int64_t c0, int64_t c1) {
  auto* j = static_cast<BlasJobs*>(p);
  for (int64_t c = c0; c < c1; ++c) {
    j->dojob(static_cast<int>(c), j->data + static_cast<size_t>(c) * j->elsize, j->dojob_data);
  }
}

// Unlike ember's own kernels there is no back-off to one thread on an oversubscribed machine:
// OpenBLAS's single- and multi-threaded paths round differently for some shapes, and a result
// must not depend on the machine's load.
void blas_threads_callback(int /*sync*/, OpenblasDojob dojob, int numjobs, size_t elsize,
                           void* jobdata, int dojob_data) {
  BlasJobs jobs{dojob, static_cast<char*>(jobdata), elsize, dojob_data};
  if (numjobs <= 1) {
    run_blas_job(&jobs, 0, numjobs);
    return;
  }
  const int threads = kernel_threads();
  if (!t_in_region && numjobs <= threads) {
    std::unique_lock<std::mutex> lk(pool_lock(), std::try_to_lock);
    if (lk.owns_lock()) {
      t_in_region = true;
      Job job;
      job.nchunks = numjobs;
      job.fn = &run_blas_job;
      job.ctx = &jobs;
      pool().run(&job, threads - 1);
      t_in_region = false;
      return;
    }
  }
  std::vector<std::thread> extra;
  extra.reserve(static_cast<size_t>(numjobs - 1));
  for (int c = 1; c < numjobs; ++c) extra.emplace_back([&jobs, c] { run_blas_job(&jobs, c, c + 1); });
  run_blas_job(&jobs, 0, 1);
  for (auto& t : extra) t.join();
}

// Installed when the library loads, before any BLAS call can start, unless
// EMBER_BLAS_THREADS=openblas asks for OpenBLAS's own threads.
[[maybe_unused]] const bool kBlasCallback = [] {
  const char* env = std::getenv("EMBER_BLAS_THREADS");
  if (env != nullptr && std::string(env) == "openblas") return false;
  scipy_openblas_set_threads_callback_function(&blas_threads_callback);
  return true;
}();

// A forked child has none of the parent's workers (and may have copied a held lock): it starts
// a fresh pool and lock, leaving the parent's objects untouched (their threads do not exist).
void after_fork_in_child() {
  pool_ptr() = new Pool();
  lock_ptr() = new std::mutex();
  t_in_region = false;
}
#ifdef EMBER_HAVE_ATFORK
[[maybe_unused]] const int kAtFork = pthread_atfork(nullptr, nullptr, &after_fork_in_child);
#endif

}  // namespace

int kernel_threads() { return get_num_threads(); }


namespace detail {

bool workers_awake() {
  const int threads = kernel_threads();
  return threads > 1 && !t_in_region && pool().awake(threads - 1);
}

void run_chunks(int64_t nchunks, RangeFn fn, void* ctx) {
  const int threads = kernel_threads();
  // Nested regions, and a second Python thread while the pool is busy, run inline.
  std::unique_lock<std::mutex> lk(pool_lock(), std::try_to_lock);
  if (t_in_region || threads <= 1 || !lk.owns_lock()) {
    fn(ctx, 0, nchunks);
    return;
  }
  // Back-off on an oversubscribed machine: after a region where a preempted worker kept the
  // caller waiting, the next `skip` regions run inline (doubling up to 256 while it recurs, so
  // a busy machine costs at most one slow region in 257; an idle one never skips).
  static int backoff = 0;
  static int skip = 0;
  if (skip > 0) {
    --skip;
    lk.unlock();
    fn(ctx, 0, nchunks);
    return;
  }
  t_in_region = true;
  Job job;
  job.nchunks = nchunks;
  job.fn = fn;
  job.ctx = ctx;
  const bool slow = pool().run(&job, threads - 1);
  t_in_region = false;
  if (slow) {
    backoff = backoff == 0 ? 1 : std::min(backoff * 2, 256);
    skip = backoff;
  } else {
    backoff /= 2;
  }
}

}  // namespace detail

}  // namespace ember::cpu
