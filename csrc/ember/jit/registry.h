#pragma once

// Op registry of ember.jit: graph op name -> invoker. An invoker is generated from the op's C++
// function type, so registering an op is one line (see trace_hook.h for the full recipe):
//
//     EMBER_JIT_REGISTER(relu);                                   // unique name
//     EMBER_JIT_REGISTER_AS("max.dim", max,                       // overload: distinct name
//                           std::pair<Tensor, Tensor>(const Tensor&, int64_t, bool));
//     EMBER_JIT_REGISTER_FLAGS(dropout, kRandom);                 // extra node flags
//
// Registration runs at static-initialization time of libember, so a fresh process (or a C++
// program) can run a loaded graph without tracing anything first.

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/core/error.h"
#include "ember/core/export.h"
#include "ember/core/generator.h"
#include "ember/core/tensor.h"
#include "ember/jit/ir.h"

namespace ember::jit {

/// Runs an op: reads (and may take) `inputs`, writes the results to `out` (cleared first; the
/// executor reuses one list for every node, so most nodes allocate no list).
using Invoker =
    std::function<void(TensorList& inputs, const std::vector<IValue>& attrs, TensorList& out)>;

struct OpInfo {
  std::string name;
  Invoker fn;
  uint32_t flags = kPure;  ///< kInplace / kSideEffect / kRandom; inplace ops set kInplace
  bool returns_inplace = false;
};

/// Registers `info` (RuntimeError if the name is taken).
EMBER_API void register_op(OpInfo info);
/// The op registered as `name`, or null.
EMBER_API const OpInfo* find_op(const std::string& name);
/// All registered op names, sorted.
EMBER_API std::vector<std::string> registered_ops();

namespace detail {

struct ArgCursor {
  TensorList& inputs;
  const std::vector<IValue>& attrs;
  size_t ti = 0, ai = 0;
  const char* op;
  // Takes the tensor: the invoker's input list is scratch space of its caller.
  Tensor next_tensor() {
    EMBER_CHECK(ti < inputs.size(), "jit: ", op, ": too few tensor inputs in the graph node");
    return std::move(inputs[ti++]);
  }
  // The next attribute, left unread.
  const IValue& peek_attr() const {
    EMBER_CHECK(ai < attrs.size(), "jit: ", op, ": too few attributes in the graph node");
    return attrs[ai];
  }
  const IValue& next_attr() {
    const IValue& v = peek_attr();
    ++ai;
    return v;
  }
};

template <typename T>
struct ArgRead;
template <>
struct ArgRead<Tensor> {
  static Tensor read(ArgCursor& c) { return c.next_tensor(); }
};
template <>
struct ArgRead<TensorList> {
  static TensorList read(ArgCursor& c) {
    int64_t n = c.next_attr().to_int();
    TensorList r;
    r.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) r.push_back(c.next_tensor());
    return r;
  }
};
template <>
struct ArgRead<Scalar> {
  static Scalar read(ArgCursor& c) { return c.next_attr().to_scalar(); }
};
template <>
struct ArgRead<DType> {
  static DType read(ArgCursor& c) { return c.next_attr().to_dtype(); }
};
template <>
struct ArgRead<int64_t> {
  static int64_t read(ArgCursor& c) { return c.next_attr().to_int(); }
};
template <>
struct ArgRead<double> {
  static double read(ArgCursor& c) { return c.next_attr().to_double(); }
};
template <>
struct ArgRead<bool> {
  static bool read(ArgCursor& c) { return c.next_attr().to_bool(); }
};
template <>
struct ArgRead<std::string> {
  static std::string read(ArgCursor& c) { return c.next_attr().to_string(); }
};
template <>
struct ArgRead<std::vector<int64_t>> {
  static std::vector<int64_t> read(ArgCursor& c) { return c.next_attr().to_int_list(); }
};
template <>
struct ArgRead<Shape> {
  static Shape read(ArgCursor& c) { return Shape(c.next_attr().to_int_list()); }
};
template <>
struct ArgRead<std::vector<double>> {
  // Written by NodeBuilder::arg as the length, then one double per entry.
  static std::vector<double> read(ArgCursor& c) {
    const int64_t n = c.next_attr().to_int();
    std::vector<double> r;
    r.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) r.push_back(c.next_attr().to_double());
    return r;
  }
};
template <>
struct ArgRead<Generator*> {
  // Graphs always draw from the default generator.
  static Generator* read(ArgCursor& c) {
    c.next_attr();
    return nullptr;
  }
};
template <typename T>
struct ArgRead<std::optional<T>> {
  static std::optional<T> read(ArgCursor& c) {
    // NodeBuilder writes an absent value as one None attribute, a present one as a T.
    if (c.peek_attr().is_none()) {
      ++c.ai;
      return std::nullopt;
    }
    return ArgRead<T>::read(c);
  }
};

inline void wrap_result(Tensor t, TensorList& out) { out.push_back(std::move(t)); }
inline void wrap_result(std::pair<Tensor, Tensor> p, TensorList& out) {
  out.push_back(std::move(p.first));
  out.push_back(std::move(p.second));
}
inline void wrap_result(TensorList l, TensorList& out) { out = std::move(l); }

template <typename Sig>
struct MakeInvoker;
template <typename R, typename... A>
struct MakeInvoker<R(A...)> {
  static OpInfo make(const char* name, R (*fn)(A...), uint32_t flags) {
    OpInfo info;
    info.name = name;
    info.returns_inplace = std::is_same_v<R, Tensor&>;
    if (info.returns_inplace) flags |= kInplace;
    if (std::is_void_v<R>) flags |= kSideEffect;
    info.flags = flags;
    info.fn = [fn, name](TensorList& inputs, const std::vector<IValue>& attrs, TensorList& out) {
      out.clear();
      ArgCursor c{inputs, attrs, 0, 0, name};
      // Braced initialization evaluates the readers left to right.
      std::tuple<std::decay_t<A>...> args{ArgRead<std::decay_t<A>>::read(c)...};
      // A node with more inputs or attributes than the op reads (a hand-edited or corrupt
      // saved graph) is an error rather than a silently different call.
      EMBER_CHECK(c.ti == inputs.size() && c.ai == attrs.size(), "jit: ", name,
                  ": the graph node has ", inputs.size(), " tensor inputs and ", attrs.size(),
                  " attributes, but the op reads ", c.ti, " and ", c.ai);
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, args);
      } else {
        wrap_result(std::apply(fn, args), out);
      }
    };
    return info;
  }
};

struct Registrar {
  explicit Registrar(OpInfo info) { register_op(std::move(info)); }
};

}  // namespace detail
}  // namespace ember::jit

#define EMBER_JIT_CONCAT_(a, b) a##b
#define EMBER_JIT_CONCAT(a, b) EMBER_JIT_CONCAT_(a, b)
/// Registers `fn` (a function whose type is `sig`) under graph name `name` with extra flags.
#define EMBER_JIT_REGISTER_SIG(name, fn, flags, ...)                                       \
  static ::ember::jit::detail::Registrar EMBER_JIT_CONCAT(ember_jit_reg_, __COUNTER__)(     \
      ::ember::jit::detail::MakeInvoker<__VA_ARGS__>::make(                                 \
          name, static_cast<std::add_pointer_t<__VA_ARGS__>>(&fn), flags))
/// Registers an overload: graph name, function, function type.
#define EMBER_JIT_REGISTER_AS(name, fn, ...) \
  EMBER_JIT_REGISTER_SIG(name, fn, ::ember::jit::kPure, __VA_ARGS__)
#define EMBER_JIT_REGISTER_FLAGS(fn, flags) \
  EMBER_JIT_REGISTER_SIG(#fn, ::ember::fn, flags, decltype(::ember::fn))
#define EMBER_JIT_REGISTER(fn) EMBER_JIT_REGISTER_FLAGS(fn, ::ember::jit::kPure)
