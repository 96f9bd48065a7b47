#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

#include "ember/core/export.h"

namespace ember {

/// Threads used for large CPU work: OpenBLAS GEMM and ember's own elementwise and reduction
/// kernels (one count for both; the two never run at the same time). ValueError for n < 1.
EMBER_API void set_num_threads(int n);
EMBER_API int get_num_threads();
/// Flush denormal (subnormal) floating-point numbers to zero on the calling thread: results
/// that would be subnormal become zero and subnormal inputs read as zero (x86's FTZ and DAZ
/// bits). ember's worker threads follow the thread whose op they run. Returns whether the CPU
/// supports it (x86-64); elsewhere nothing changes and it returns false.
EMBER_API bool set_flush_denormal(bool mode);

}  // namespace ember

namespace ember::cpu {

/// Elementwise and reduction work below this many elements runs on the calling thread: waking
/// a second thread costs more than it saves.
constexpr int64_t kParallelThreshold = int64_t{1} << 16;

/// Number of threads ember's kernels use: the configured count (`set_num_threads`).
int kernel_threads();
/// OpenBLAS's current thread count, and setting it without changing the configured count
/// (`set_num_threads`): for code that runs BLAS single-threaded for a while (convolutions split
/// over images).
int blas_threads();
void set_blas_threads(int n);

namespace detail {
using RangeFn = void (*)(void* ctx, int64_t chunk_begin, int64_t chunk_end);
/// Runs fn(ctx, c) for every chunk c in [0, nchunks) on the pool; the calling thread takes
/// part, and chunks are claimed dynamically, so a worker that wakes late costs nothing.
void run_chunks(int64_t nchunks, RangeFn fn, void* ctx);
/// Whether the pool's workers are awake (spinning after a recent job), so that work handed to
/// them starts without a wake-up system call. A hint only: it may change at once.
bool workers_awake();
/// A pause for spin-wait loops (x86 `pause`; elsewhere a yield).
void cpu_relax();
}  // namespace detail

/// parallel_blocks_affine: a thread whose own blocks are done takes one of the other thread's
/// when the other has this many left unclaimed (it is clearly behind: a late or slow core), or
/// has claimed none for kStealAfterNs (it was preempted).
constexpr int64_t kStealMinBlocks = 2;
constexpr int64_t kStealAfterNs = 20000;

/// Calls f(begin, end) over [0, n) split into chunks of `chunk` elements (the last shorter);
/// the chunking depends on n and `chunk` only, never on the thread count, so reductions that
/// combine per-chunk partials in chunk order give the same result on any number of threads.
/// Work of fewer than kParallelThreshold elements (`work`, default n), or a single thread,
/// runs inline.
template <typename F>
void parallel_chunks(int64_t n, int64_t chunk, F&& f, int64_t work = -1) {
  if (n <= 0) return;
  const int64_t nchunks = (n + chunk - 1) / chunk;
  if ((work < 0 ? n : work) < kParallelThreshold || nchunks == 1 || kernel_threads() <= 1) {
    for (int64_t c = 0; c < nchunks; ++c) {
      const int64_t b = c * chunk;
      f(c, b, b + chunk < n ? b + chunk : n);
    }
    return;
  }
  struct Ctx {
    std::remove_reference_t<F>* f;
    int64_t n, chunk;
  } ctx{&f, n, chunk};
  detail::run_chunks(
      nchunks,
      [](void* p, int64_t c0, int64_t c1) {
        auto* c = static_cast<Ctx*>(p);
        for (int64_t k = c0; k < c1; ++k) {
          const int64_t b = k * c->chunk;
          (*c->f)(k, b, b + c->chunk < c->n ? b + c->chunk : c->n);
        }
      },
      &ctx);
}

/// Calls f(b) for every block b in [0, nblocks), over the pool when `work` (default nblocks) is
/// at least kParallelThreshold. With two threads and more than two blocks, the calling thread
/// owns blocks [0, nblocks / 2), taken from the front, and the worker the rest, taken from the
/// back, so that a block keeps its core from call to call and its data stays in that core's
/// cache. A thread done with its own blocks takes the other's only where the other has not
/// started, has kStealMinBlocks or more left unclaimed, or has claimed none for kStealAfterNs
/// (it was preempted); otherwise it waits. With more threads (or 2^32 blocks or more), blocks
/// are claimed in order.
template <typename F>
void parallel_blocks_affine(int64_t nblocks, F&& f, int64_t work = -1) {
  if (nblocks <= 0) return;
  // Two blocks need no shared range: the calling thread always runs a region's first chunk
  // (the pool opens it already claimed), so block 0 stays on the caller and block 1 on the
  // worker, and the worker's start is one claim shorter.
  if ((work < 0 ? nblocks : work) < kParallelThreshold || nblocks <= 2 ||
      kernel_threads() != 2 || nblocks > int64_t{0xffffffff}) {
    parallel_chunks(nblocks, 1, [&](int64_t, int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) f(b);
    }, work);
    return;
  }
  // Taking a block the other core ran last moves its data between the cores' caches, which on
  // a virtual machine whose cores exchange a cache line in 180-190 ns costs more than a short
  // wait: in a batch-1 MLP training graph, whose Adam step updates the 64 rows of 784 weights
  // each core read in the forward pass, the caller took one of the worker's blocks in 15% and
  // 97% of the steps of two runs when blocks went to whichever thread came first, at 1.6-5.5
  // times a local block's time (the step: 44-47 -> 41-43 us with owned halves, medians of
  // alternating runs).
  //
  // Each side's unclaimed blocks are one word (lo in the high half, hi in the low half) on a
  // cache line of its own: the caller's [0, mid), which it takes from lo up, and the worker's
  // [mid, nblocks), which it takes from hi down. A thread taking one of the other's blocks
  // takes it from the end the owner reaches last, by a compare-and-swap on the owner's word.
  // So each side claims its own blocks in its own core's cache; with one word for both sides
  // that line crossed between the cores at every claim (rdtsc in the batch-1 forward 1x784 @
  // W^T, 8 blocks: 1.3K TSC cycles of each thread's region between its blocks, against 0.3-0.6K
  // now; the region 8.5-8.8K -> 7.8K cycles).
  const uint64_t mid = static_cast<uint64_t>(nblocks) / 2;
  const uint64_t total = static_cast<uint64_t>(nblocks);
  struct alignas(64) Side {
    std::atomic<uint64_t> word;
  };
  Side sides[2] = {{mid}, {mid << 32 | total}};  // caller: [0, mid); worker: [mid, nblocks)
  // The side is the thread's, not the chunk's: the calling thread always takes the front and
  // the worker the back. Chunks are claimed by whichever thread comes first, so a chunk index
  // would swap the halves between the cores whenever the worker beat the caller to chunk 0.
  const std::thread::id caller = std::this_thread::get_id();
  parallel_chunks(2, 1, [&](int64_t, int64_t, int64_t) {
    const int side = std::this_thread::get_id() == caller ? 0 : 1;
    std::atomic<uint64_t>& own = sides[side].word;
    std::atomic<uint64_t>& other = sides[1 - side].word;
    // Own blocks: the caller from lo up, the worker from hi down.
    uint64_t cur = own.load();
    while (true) {
      const uint64_t lo = cur >> 32, hi = cur & 0xffffffffu;
      if (lo >= hi) break;
      const uint64_t next = side == 0 ? cur + (uint64_t{1} << 32) : cur - 1;
      if (!own.compare_exchange_weak(cur, next)) continue;
      f(static_cast<int64_t>(side == 0 ? lo : hi - 1));
      cur = own.load(std::memory_order_relaxed);
    }
    // Then the other's, each from the same end as its own (the caller takes the worker's
    // lowest, the worker the caller's highest), where the owner has not started, has
    // kStealMinBlocks or more left, or has claimed none for kStealAfterNs; otherwise it waits
    // until the owner has taken the rest.
    cur = other.load();
    uint64_t seen = ~uint64_t{0};
    std::chrono::steady_clock::time_point seen_at;
    uint32_t spins = 0;  // the clock is read every 16th pause (a pause is 40-150 cycles)
    while (true) {
      const uint64_t lo = cur >> 32, hi = cur & 0xffffffffu;
      if (lo >= hi) return;
      const bool started = side == 0 ? hi < total : lo > 0;
      if (started && hi - lo < static_cast<uint64_t>(kStealMinBlocks)) {
        if (cur != seen) {
          seen = cur;
          seen_at = std::chrono::steady_clock::now();
          spins = 0;
        }
        if ((++spins & 15) != 0 ||
            std::chrono::steady_clock::now() - seen_at < std::chrono::nanoseconds(kStealAfterNs)) {
          detail::cpu_relax();
          cur = other.load(std::memory_order_relaxed);
          continue;
        }
      }
      const uint64_t next = side == 0 ? cur + (uint64_t{1} << 32) : cur - 1;
      if (!other.compare_exchange_weak(cur, next)) continue;
      f(static_cast<int64_t>(side == 0 ? lo : hi - 1));
      cur = other.load();
    }
  }, kParallelThreshold);
}

/// For tests: parallel_blocks_affine over `nblocks` blocks, block b spinning caller_us[b]
/// microseconds when the calling thread runs it and worker_us[b] when the worker does, and
/// block `throw_block` (if any) then throwing ValueError. Returns the side that ran each block
/// (0 the caller, 1 the worker, -1 not run); throws if a block ran twice, or did not run when
/// none threw, else rethrows the block's exception.
EMBER_API std::vector<int> blocks_affine_for_tests(int64_t nblocks,
                                                   const std::vector<double>& caller_us,
                                                   const std::vector<double>& worker_us,
                                                   int64_t throw_block = -1);

/// Chunk size for elementwise work of n elements: a few chunks per thread (so a thread that
/// starts late or is preempted is covered by the others), a multiple of 64 elements so chunk
/// edges fall on cache lines of any element size, and at least 16K elements.
inline int64_t elementwise_chunk(int64_t n) {
  int64_t c = n / 8;
  if (c < (int64_t{1} << 14)) c = int64_t{1} << 14;
  return (c + 63) / 64 * 64;
}

/// parallel_chunks with elementwise_chunk, for work where chunk results are independent.
template <typename F>
void parallel_for(int64_t n, F&& f) {
  parallel_chunks(n, elementwise_chunk(n),
                  [&](int64_t, int64_t b, int64_t e) { f(b, e); });
}

}  // namespace ember::cpu
