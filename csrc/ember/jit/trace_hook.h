#pragma once

// The tracer's hook inside public ops. Making an op traceable takes two lines:
//
//   1. first statement of the op's definition (csrc/ember/ops/*.cpp), naming the op and passing
//      every parameter in order:
//          Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
//            EMBER_TRACE(add, a, b, alpha);
//            ...
//      An overloaded op gets a distinct graph name with EMBER_TRACE_AS:
//          EMBER_TRACE_AS("max.dim", max, x, dim, keepdim);
//      (the file includes "ember/jit/trace_hook.h")
//   2. one registration line in csrc/ember/jit/register_ops.cpp, so graphs can run the op:
//          EMBER_JIT_REGISTER(add);
//          EMBER_JIT_REGISTER_AS("max.dim", max, std::pair<Tensor, Tensor>(const Tensor&, int64_t, bool));
//
// When no trace is active the hook costs one load of a global and a predictable branch. While
// tracing on this thread, the hook runs the op with tracing suspended (so ops it calls inside are
// not recorded) and records one node: tensor arguments become input values, every other argument
// an attribute, results new values (see ir.h for the argument layout).

#include <atomic>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/generator.h"
#include "ember/core/scalar.h"
#include "ember/core/tensor.h"

namespace ember::jit {

class Node;
class Value;
struct TraceState;

namespace detail {
/// Number of traces active in the process (any thread); the hook's fast check.
EMBER_API extern std::atomic<int> g_active_traces;
/// The trace recording on this thread, or null (none, or suspended inside a traced op).
EMBER_API TraceState* current_trace();

/// Collects one node's inputs and attributes, then its outputs.
class EMBER_API NodeBuilder {
 public:
  NodeBuilder(TraceState* st, const char* op);
  ~NodeBuilder();
  NodeBuilder(const NodeBuilder&) = delete;
  NodeBuilder& operator=(const NodeBuilder&) = delete;

  void arg(const Tensor& t);
  void arg(const TensorList& ts);
  void arg(const Scalar& s);
  void arg(const std::optional<Scalar>& s);
  void arg(DType d);
  void arg(const std::optional<DType>& d);
  void arg(int64_t v);
  void arg(const std::optional<int64_t>& v);
  void arg(double v);
  void arg(bool v);
  void arg(const std::optional<bool>& v);
  /// A list of doubles: its length (int) then one double attribute per entry.
  void arg(const std::vector<double>& v);
  void arg(const std::optional<std::vector<double>>& v);
  void arg(const std::string& v);
  void arg(const std::vector<int64_t>& v);
  void arg(const std::optional<std::vector<int64_t>>& v);
  void arg(const Shape& v);
  void arg(const std::optional<Shape>& v);
  void arg(Generator* gen);

  void finish_void();
  void finish(const Tensor& out);
  void finish(const std::pair<Tensor, Tensor>& out);
  void finish(const TensorList& outs);

  struct Impl;

 private:
  Impl* impl_;
};

/// Suspends tracing on this thread for its lifetime.
class EMBER_API SuspendTracing {
 public:
  SuspendTracing();
  ~SuspendTracing();
  SuspendTracing(const SuspendTracing&) = delete;
  SuspendTracing& operator=(const SuspendTracing&) = delete;

 private:
  TraceState* saved_;
};

template <typename Call, typename... Args>
decltype(auto) trace_call(TraceState* st, const char* op, Call&& call, const Args&... args) {
  NodeBuilder b(st, op);
  (b.arg(args), ...);
  SuspendTracing suspend;
  using R = decltype(call());
  if constexpr (std::is_void_v<R>) {
    call();
    b.finish_void();
  } else {
    decltype(auto) r = call();
    b.finish(r);
    return r;
  }
}

}  // namespace detail

/// True when this thread is recording a trace right now.
inline bool is_tracing() {
  return detail::g_active_traces.load(std::memory_order_relaxed) != 0 &&
         detail::current_trace() != nullptr;
}

}  // namespace ember::jit

#if defined(__GNUC__) || defined(__clang__)
#define EMBER_JIT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EMBER_JIT_UNLIKELY(x) (x)
#endif

/// Records this op call when a trace is active (see the top of this file).
#define EMBER_TRACE_AS(name, op, ...)                                                            \
  if (EMBER_JIT_UNLIKELY(::ember::jit::detail::g_active_traces.load(std::memory_order_relaxed))) \
    if (::ember::jit::TraceState* ember_trace_st_ = ::ember::jit::detail::current_trace())       \
  return ::ember::jit::detail::trace_call(                                                       \
      ember_trace_st_, name, [&]() -> decltype(auto) { return ::ember::op(__VA_ARGS__); }, __VA_ARGS__)

#define EMBER_TRACE(op, ...) EMBER_TRACE_AS(#op, op, __VA_ARGS__)
