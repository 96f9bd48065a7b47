// A small pool for ember's own kernels. Workers spin briefly after each job (a sequence of
// large ops then finds them awake) and sleep on a condition variable after that, so an idle
// pool costs nothing and does not compete with OpenBLAS's threads during GEMMs. The calling
// thread claims chunks like the workers do: a worker that wakes late finds the work done
// instead of delaying it.

#include "ember/cpu/parallel.h"

#include "ember/core/error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <string>
#include <memory>
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

// A region's work: fn(ctx, c, c + 1) for every chunk c in [0, nchunks).
struct Job {
  int64_t nchunks;
  detail::RangeFn fn;
  void* ctx;
};

thread_local bool t_in_region = false;

// The flush-to-zero and denormals-are-zero bits of the calling thread's floating-point control
// (MXCSR on x86, which every SSE/AVX instruction follows), and setting them. A region carries
// its caller's bits, so the workers compute its chunks as the caller would.
#if defined(__x86_64__) || defined(__i386__)
constexpr uint32_t kFlushBits = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)
uint32_t flush_bits() { return _mm_getcsr() & kFlushBits; }
void set_flush_bits(uint32_t bits) { _mm_setcsr((_mm_getcsr() & ~kFlushBits) | bits); }
#else
uint32_t flush_bits() { return 0; }
void set_flush_bits(uint32_t) {}
#endif

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

// The protocol. A region is published in one cache line: the job's fields and `state_`, which
// packs the region's sequence number (high 32 bits) with the next chunk to claim (low 32 bits).
// Every thread, the caller included, claims a chunk with a compare-and-swap of `state_` that
// keeps the sequence number, so a claim can only succeed on the region it read the fields of;
// each worker reports the chunks it finished in a cache line of its own (`Slot`), which the
// caller polls. A worker joining a region thus reads one line and claims in it, and the caller
// learns of the end from one more: three cache-line transfers on the path of a two-thread
// region, where a job on the caller's stack with separate counters for claims and for the
// threads inside took about seven (a two-thread region of two empty chunks: 680-840 -> 380-410
// ns; of eight, both take 690-780 ns, the claims then contending for the one line).
// Before rewriting the fields of a new region the caller marks `state_` closed (next chunk =
// kClosed), so a worker still holding the last region's sequence number cannot claim while it
// reads a mix of old and new fields.
constexpr uint64_t kClosed = 0xffffffffu;
constexpr int64_t kMaxChunks = 0xfffffffe;

inline uint64_t seq_of(uint64_t state) { return state >> 32; }
inline uint64_t next_of(uint64_t state) { return state & 0xffffffffu; }

class Pool {
 public:
  ~Pool() { resize(0); }

  // Whether `workers` helper threads exist and none of them sleeps (a job would start at once,
  // with no wake-up call). Callable without the caller's lock: reads atomics only.
  bool awake(int workers) const {
    return workers > 0 && nthreads_.load(std::memory_order_relaxed) == workers &&
           sleepers_.load(std::memory_order_relaxed) == 0;
  }

  // Runs `job` (at most kMaxChunks chunks) with `workers` helper threads. Serialized by the
  // caller's lock. Returns true when the calling thread waited for a worker longer than it
  // worked itself (a worker was preempted inside a chunk: the machine has more runnable threads
  // than cores).
  bool run(const Job& job, int workers) {
    if (job.nchunks <= 0) return false;
    if (static_cast<int>(threads_.size()) != workers) resize(workers);
    seq_ = seq_ % 0xffffffffu + 1;  // 1 .. 2^32 - 1; workers start having seen 0
    const uint64_t seq = seq_;
    if (seq == 1) {
      // Wrapped: a worker that has finished no chunk since the last region numbered 1 would
      // still report one for it. No report of an earlier region is pending (each run waited
      // for its chunks), so the slots can be cleared.
      for (int w = 0; w < nslots_; ++w) slots_[w].done.store(0, std::memory_order_relaxed);
    }
    // Closed first, then the fields, then open: see kClosed. The region opens with chunk 0
    // already claimed by the caller, so the calling thread always runs the first chunk (the
    // first block of parallel_blocks_affine and of the GEMM splits stays on one core from call
    // to call) and a worker joining claims from chunk 1.
    state_.store(seq << 32 | kClosed, std::memory_order_seq_cst);
    nchunks_.store(job.nchunks, std::memory_order_release);
    fn_.store(job.fn, std::memory_order_release);
    ctx_.store(job.ctx, std::memory_order_release);
    flush_.store(flush_bits(), std::memory_order_release);
    state_.store(seq << 32 | 1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> g(mu_);
      cv_.notify_all();
    }
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    run_chunk(job, 0);
    const uint64_t own = 1 + claim_all(seq, job);
    const auto t1 = clock::now();
    // Wait for the chunks the workers claimed. One of them may have been preempted inside a
    // chunk on a busy machine, so yield the core after a short spin instead of burning the time
    // slice it needs.
    const uint64_t theirs = static_cast<uint64_t>(job.nchunks) - own;
    for (int i = 0; finished_by_workers(seq) != theirs; ++i) {
      if (i < 2000) {
        EMBER_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
    const auto waited = clock::now() - t1;
    if (failed_.load(std::memory_order_acquire)) {
      // Every chunk has run or thrown, and no worker touches the job any more: the first
      // exception goes to the caller.
      std::exception_ptr e;
      {
        std::lock_guard<std::mutex> g(error_mu_);
        e = std::move(error_);
        error_ = nullptr;
      }
      failed_.store(false, std::memory_order_relaxed);
      std::rethrow_exception(e);
    }
    return waited > std::chrono::microseconds(20) && waited > t1 - t0;
  }

 private:
  // Runs chunk c of `job`. An exception from it (on the caller or a worker) is kept for the
  // caller, which rethrows it once every chunk of the region is done: the job lives on the
  // caller's stack, so the caller must not leave while a worker still runs a chunk, and an
  // exception leaving a worker thread would end the process.
  void run_chunk(const Job& job, int64_t c) {
    try {
      job.fn(job.ctx, c, c + 1);
    } catch (...) {
      std::lock_guard<std::mutex> g(error_mu_);
      if (error_ == nullptr) error_ = std::current_exception();
      failed_.store(true, std::memory_order_release);
    }
  }

  // A worker's count of the chunks it finished, tagged with the region's sequence number.
  struct alignas(64) Slot {
    std::atomic<uint64_t> done{0};
  };

  // Claims and runs chunks of region `seq` (whose fields are those of `job`) until none is
  // left or the region changed; returns how many this thread ran. With `slot`, reports each
  // finished chunk there.
  uint64_t claim_all(uint64_t seq, const Job& job, Slot* slot = nullptr) {
    uint64_t ran = 0;
    uint64_t cur = state_.load(std::memory_order_acquire);
    while (seq_of(cur) == seq && next_of(cur) < static_cast<uint64_t>(job.nchunks)) {
      if (!state_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        continue;
      }
      const auto c = static_cast<int64_t>(next_of(cur));
      run_chunk(job, c);
      ++ran;
      if (slot != nullptr) slot->done.store(seq << 32 | ran, std::memory_order_release);
      cur = state_.load(std::memory_order_acquire);
    }
    return ran;
  }

  uint64_t finished_by_workers(uint64_t seq) const {
    uint64_t sum = 0;
    for (int w = 0; w < nslots_; ++w) {
      const uint64_t d = slots_[w].done.load(std::memory_order_acquire);
      if (seq_of(d) == seq) sum += next_of(d);
    }
    return sum;
  }

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
    slots_.reset(workers > 0 ? new Slot[workers] : nullptr);
    nslots_ = workers;
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { loop(&slots_[i]); });
    nthreads_.store(workers, std::memory_order_relaxed);
  }

  // A region this worker has not joined yet is open (its fields written).
  bool has_new(uint64_t seen) const {
    const uint64_t cur = state_.load(std::memory_order_seq_cst);
    return seq_of(cur) != seen && next_of(cur) != kClosed;
  }

  void loop(Slot* slot) {
    t_in_region = true;  // kernels called from a worker never start a nested region
    uint64_t seen = 0;
    uint32_t own_flush = flush_bits();
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
      const uint64_t cur = state_.load(std::memory_order_acquire);
      if (seq_of(cur) == seen || next_of(cur) == kClosed) continue;
      // The fields may already belong to a later region if this one ended meanwhile; a claim
      // in claim_all then fails (the sequence number or the next chunk moved on), so they are
      // never used.
      Job job;
      job.nchunks = nchunks_.load(std::memory_order_acquire);
      job.fn = fn_.load(std::memory_order_acquire);
      job.ctx = ctx_.load(std::memory_order_acquire);
      const uint32_t flush = flush_.load(std::memory_order_acquire);
      if (flush != own_flush) {  // the caller's setting (set_flush_denormal)
        set_flush_bits(flush);
        own_flush = flush;
      }
      claim_all(seq_of(cur), job, slot);
      seen = seq_of(cur);
    }
  }

  // What the caller publishes (one line, read by every worker), what the workers report (a
  // line each) and the sleep bookkeeping live on separate cache lines.
  std::vector<std::thread> threads_;
  alignas(64) std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> nchunks_{0};
  std::atomic<detail::RangeFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<uint32_t> flush_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  alignas(64) std::atomic<bool> stop_{false};
  std::atomic<int> nthreads_{0};  // threads_.size(), for awake()
  std::unique_ptr<Slot[]> slots_;
  int nslots_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t seq_ = 0;
  std::mutex error_mu_;
  std::exception_ptr error_;  // the region's first exception (run_chunk)
  std::atomic<bool> failed_{false};
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
// Marks the calling thread as inside a region (nested regions run inline) for its scope.
struct InRegion {
  InRegion() { t_in_region = true; }
  ~InRegion() { t_in_region = false; }
};

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
      InRegion in_region;
      Job job{numjobs, &run_blas_job, &jobs};
      pool().run(job, threads - 1);
      return;
    }
  }
  std::vector<std::thread> extra;
  extra.reserve(static_cast<size_t>(numjobs - 1));
  const uint32_t flush = flush_bits();
  for (int c = 1; c < numjobs; ++c) {
    extra.emplace_back([&jobs, c, flush] {
      set_flush_bits(flush);
      run_blas_job(&jobs, c, c + 1);
    });
  }
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

void cpu_relax() { EMBER_CPU_RELAX(); }

bool workers_awake() {
  const int threads = kernel_threads();
  return threads > 1 && !t_in_region && pool().awake(threads - 1);
}

void run_chunks(int64_t nchunks, RangeFn fn, void* ctx) {
  const int threads = kernel_threads();
  // Nested regions, and a second Python thread while the pool is busy, run inline.
  std::unique_lock<std::mutex> lk(pool_lock(), std::try_to_lock);
  if (t_in_region || threads <= 1 || !lk.owns_lock() || nchunks > kMaxChunks) {
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
  bool slow = false;
  {
    InRegion in_region;
    slow = pool().run(Job{nchunks, fn, ctx}, threads - 1);
  }
  if (slow) {
    backoff = backoff == 0 ? 1 : std::min(backoff * 2, 256);
    skip = backoff;
  } else {
    backoff /= 2;
  }
}

}  // namespace detail

std::vector<int> blocks_affine_for_tests(int64_t nblocks, const std::vector<double>& caller_us,
                                         const std::vector<double>& worker_us,
                                         int64_t throw_block) {
  EMBER_CHECK_VALUE(nblocks >= 0 && caller_us.size() == static_cast<size_t>(nblocks) &&
                        worker_us.size() == static_cast<size_t>(nblocks),
                    "_blocks_affine_for_tests: expected a delay per block for each side");
  std::vector<std::atomic<int>> ran(static_cast<size_t>(nblocks));
  for (auto& r : ran) r.store(0);
  std::vector<int> side(static_cast<size_t>(nblocks), -1);
  const std::thread::id caller = std::this_thread::get_id();
  std::exception_ptr error;
  try {
    parallel_blocks_affine(nblocks, [&](int64_t b) {
      const int s = std::this_thread::get_id() == caller ? 0 : 1;
      ran[b].fetch_add(1);
      side[b] = s;
      const double us = (s == 0 ? caller_us : worker_us)[b];
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::nanoseconds(static_cast<int64_t>(us * 1000.0));
      while (std::chrono::steady_clock::now() < until) EMBER_CPU_RELAX();
      EMBER_CHECK_VALUE(b != throw_block, "_blocks_affine_for_tests: block ", b,
                        " throws, as asked (run by the ", s == 0 ? "caller" : "worker", ")");
    }, kParallelThreshold);
  } catch (...) {
    error = std::current_exception();
  }
  // After an exception, blocks still unclaimed may be skipped (a region run inline stops at
  // the exception, as a loop would), but none may run twice.
  for (int64_t b = 0; b < nblocks; ++b) {
    EMBER_CHECK(ran[b].load() == 1 || (error && ran[b].load() == 0),
                "_blocks_affine_for_tests: block ", b, " of ", nblocks, " ran ", ran[b].load(),
                " times");
  }
  if (error) std::rethrow_exception(error);
  return side;
}

}  // namespace ember::cpu

namespace ember {

bool set_flush_denormal(bool mode) {
#if defined(__x86_64__) || defined(__i386__)
  cpu::set_flush_bits(mode ? cpu::kFlushBits : 0);
  return true;
#else
  (void)mode;
  return false;
#endif
}

}  // namespace ember
