#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/jit/fused_kernel.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "ember/core/error.h"
#include "ember/jit/registry.h"
#include "ember/kernels/elementwise_ops.h"
#include "ember/ops/ops.h"

namespace ember::jit {

namespace {

constexpr int64_t kBlock = 512;

enum class Kind { Unary, Binary, Compare, Where, Const };

struct Arg {
  bool is_const = false;
  int idx = 0;
};

struct Instr {
  Kind kind = Kind::Const;
  int code = 0;
  int nargs = 0;
  Arg args[3];
};

struct Output {
  int reg = 0;
  bool is_bool = false;
  int reuse_input = -1;
};

struct Program {
  DType dtype = DType::Float32;
  int n_in = 0;
  std::vector<Instr> code;
  std::vector<Output> outs;
  int max_const = -1;  // largest constant index used
};

struct OpName {
  Kind kind;
  int code;
  int min_args, max_args;
};

const std::unordered_map<std::string, OpName>& op_table() {
  static const std::unordered_map<std::string, OpName> t = [] {
    std::unordered_map<std::string, OpName> m;
#define EMBER_FUSED_UNARY(NAME, EXPR) \
  m[#NAME] = OpName{Kind::Unary, static_cast<int>(UnaryOp::NAME), 1, 3};
#define EMBER_FUSED_BINARY(NAME, EXPR) \
  m[#NAME] = OpName{Kind::Binary, static_cast<int>(BinaryOp::NAME), 2, 2};
#define EMBER_FUSED_COMPARE(NAME, EXPR) \
  m[#NAME] = OpName{Kind::Compare, static_cast<int>(CompareOp::NAME), 2, 2};
    EMBER_UNARY_OPS(EMBER_FUSED_UNARY)
    EMBER_BINARY_OPS(EMBER_FUSED_BINARY)
    EMBER_COMPARE_OPS(EMBER_FUSED_COMPARE)
#undef EMBER_FUSED_UNARY
#undef EMBER_FUSED_BINARY
#undef EMBER_FUSED_COMPARE
    m["Where"] = OpName{Kind::Where, 0, 3, 3};
    m["Const"] = OpName{Kind::Const, 0, 1, 1};
    return m;
  }();
  return t;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> r;
  size_t b = 0;
  while (true) {
    size_t e = s.find(sep, b);
    r.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return r;
}

int parse_int(const std::string& s, const std::string& program) {
  EMBER_CHECK(!s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string::npos,
              "fused_elementwise: malformed program (bad number '", s, "'): ", program);
  return std::atoi(s.c_str());
}

std::shared_ptr<const Program> parse(const std::string& text) {
  auto fail = [&](const std::string& why) {
    throw Error("fused_elementwise: malformed program (" + why + "): " + text);
  };
  auto p = std::make_shared<Program>();
  std::vector<std::string> parts = split(text, ';');
  if (parts.size() < 3) fail("too few parts");
  if (parts[0] == "f32") {
    p->dtype = DType::Float32;
  } else if (parts[0] == "f64") {
    p->dtype = DType::Float64;
  } else {
    fail("unknown dtype '" + parts[0] + "'");
  }
  if (parts[1].rfind("in=", 0) != 0) fail("expected in=N");
  p->n_in = parse_int(parts[1].substr(3), text);
  auto parse_arg = [&](const std::string& a, int nregs) {
    Arg r;
    if (a.size() < 2 || (a[0] != 'r' && a[0] != 'c')) fail("bad argument '" + a + "'");
    r.is_const = a[0] == 'c';
    r.idx = parse_int(a.substr(1), text);
    if (!r.is_const && r.idx >= nregs) fail("register " + a + " is read before it is set");
    if (r.is_const && r.idx > p->max_const) p->max_const = r.idx;
    return r;
  };
  for (size_t i = 2; i + 1 < parts.size(); ++i) {
    const std::string& s = parts[i];
    int reg = p->n_in + static_cast<int>(p->code.size());
    std::string lhs = "r" + std::to_string(reg) + "=";
    if (s.rfind(lhs, 0) != 0) fail("instruction " + std::to_string(i - 2) + " must set " + lhs);
    size_t lp = s.find('('), rp = s.size() - 1;
    if (lp == std::string::npos || s[rp] != ')') fail("bad instruction '" + s + "'");
    std::string name = s.substr(lhs.size(), lp - lhs.size());
    auto it = op_table().find(name);
    if (it == op_table().end()) fail("unknown op '" + name + "'");
    std::vector<std::string> args = split(s.substr(lp + 1, rp - lp - 1), ',');
    const OpName& on = it->second;
    const int nargs = static_cast<int>(args.size());
    if (nargs < on.min_args || nargs > on.max_args) {
      fail("wrong number of arguments in '" + s + "'");
    }
    Instr in;
    in.kind = on.kind;
    in.code = on.code;
    in.nargs = static_cast<int>(args.size());
    for (size_t k = 0; k < args.size(); ++k) {
      in.args[k] = parse_arg(args[k], reg);
      if ((on.kind == Kind::Unary && k > 0) || on.kind == Kind::Const) {
        if (!in.args[k].is_const) fail("parameters must be constants in '" + s + "'");
      }
    }
    p->code.push_back(in);
  }
  const std::string& o = parts.back();
  if (o.rfind("out=", 0) != 0) fail("expected out=...");
  int nregs = p->n_in + static_cast<int>(p->code.size());
  for (const std::string& item : split(o.substr(4), ',')) {
    Output out;
    std::string s = item;
    size_t gt = s.find('>');
    if (gt != std::string::npos) {
      std::string r = s.substr(gt + 1);
      if (r.size() < 2 || r[0] != 'i') fail("bad reuse '" + item + "'");
      out.reuse_input = parse_int(r.substr(1), text);
      if (out.reuse_input >= p->n_in) fail("reuse of a missing input in '" + item + "'");
      s = s.substr(0, gt);
    }
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ":b") == 0) {
      out.is_bool = true;
      s = s.substr(0, s.size() - 2);
    }
    if (s.size() < 2 || s[0] != 'r') fail("bad output '" + item + "'");
    out.reg = parse_int(s.substr(1), text);
    if (out.reg >= nregs) fail("output register " + s + " is never set");
    p->outs.push_back(out);
  }
  if (p->outs.empty()) fail("no outputs");
  return p;
}

std::shared_ptr<const Program> get_program_shared(const std::string& text);

std::shared_ptr<const Program> get_program(const std::string& text) {
  // Each thread remembers the last few programs it ran (a training step runs the same handful
  // every time), so the common case is a string compare without the shared cache's lock.
  constexpr size_t kRecent = 8;
  thread_local std::pair<std::string, std::shared_ptr<const Program>> recent[kRecent];
  thread_local size_t next_slot = 0;
  for (auto& r : recent) {
    if (r.second && r.first == text) return r.second;
  }
  std::shared_ptr<const Program> found = get_program_shared(text);
  recent[next_slot] = {text, found};
  next_slot = (next_slot + 1) % kRecent;
  return found;
}

std::shared_ptr<const Program> get_program_shared(const std::string& text) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const Program>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(text);
    if (it != cache.end()) return it->second;
  }
  auto p = parse(text);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() > 4096) cache.clear();
  cache.emplace(text, p);
  return p;
}

template <typename T>
void run_block(const Instr& in, T* __restrict__ dst, const T* const* args, const double* params,
               int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    // The same vectorized kernels eager float32 ops use (cpu/simd.h), so fused results equal
    // eager ones bit for bit.
    if (const cpu::simd::Kernels* k = cpu::simd::active()) {
      if (in.kind == Kind::Unary && k->has_unary(static_cast<UnaryOp>(in.code))) {
        k->unary_f32(static_cast<UnaryOp>(in.code), dst, args[0], n, params[0], params[1]);
        return;
      }
      if (in.kind == Kind::Binary && k->has_binary(static_cast<BinaryOp>(in.code))) {
        k->binary_f32(static_cast<BinaryOp>(in.code), cpu::simd::Operands::Both, dst, args[0],
                      args[1], n);
        return;
      }
    }
  }
  switch (in.kind) {
    case Kind::Unary: {
      const T* __restrict__ x = args[0];
      const double p0 = params[0], p1 = params[1];
      (void)p0;
      (void)p1;
      switch (static_cast<UnaryOp>(in.code)) {
#define EMBER_FUSED_CASE(NAME, EXPR)      \
  case UnaryOp::NAME:                     \
    for (int64_t i = 0; i < n; ++i) {     \
      const T v = x[i];                   \
      dst[i] = static_cast<T>(EXPR);      \
    }                                     \
    break;
        EMBER_UNARY_OPS(EMBER_FUSED_CASE)
#undef EMBER_FUSED_CASE
      }
      break;
    }
    case Kind::Binary: {
      const T* __restrict__ pa = args[0];
      const T* __restrict__ pb = args[1];
      switch (static_cast<BinaryOp>(in.code)) {
#define EMBER_FUSED_CASE(NAME, EXPR)      \
  case BinaryOp::NAME:                    \
    for (int64_t i = 0; i < n; ++i) {     \
      const T a = pa[i], b = pb[i];       \
      dst[i] = static_cast<T>(EXPR);      \
    }                                     \
    break;
        EMBER_BINARY_OPS(EMBER_FUSED_CASE)
#undef EMBER_FUSED_CASE
      }
      break;
    }
    case Kind::Compare: {
      const T* __restrict__ pa = args[0];
      const T* __restrict__ pb = args[1];
      switch (static_cast<CompareOp>(in.code)) {
#define EMBER_FUSED_CASE(NAME, EXPR)      \
  case CompareOp::NAME:                   \
    for (int64_t i = 0; i < n; ++i) {     \
      const T a = pa[i], b = pb[i];       \
      dst[i] = (EXPR) ? T(1) : T(0);      \
    }                                     \
    break;
        EMBER_COMPARE_OPS(EMBER_FUSED_CASE)
#undef EMBER_FUSED_CASE
      }
      break;
    }
    case Kind::Where: {
      const T* __restrict__ c = args[0];
      const T* __restrict__ a = args[1];
      const T* __restrict__ b = args[2];
      // All three loads unconditional: the select compiles to a branch-free vector blend (a
      // branch on random masks mispredicts every other element).
      for (int64_t i = 0; i < n; ++i) {
        const T cv = c[i], av = a[i], bv = b[i];
        dst[i] = cv != T(0) ? av : bv;
      }
      break;
    }
    case Kind::Const: {
      const T* __restrict__ a = args[0];
      for (int64_t i = 0; i < n; ++i) dst[i] = a[i];
      break;
    }
  }
}

template <typename T>
void run_program(const Program& p, const std::vector<double>& consts, const TensorList& ins,
                 TensorList& outs, int64_t numel) {
  const int n_in = p.n_in;
  const int n_code = static_cast<int>(p.code.size());
  const int n_regs = n_in + n_code;
  const int n_const = p.max_const + 1;
  std::vector<void*> out_ptr(p.outs.size());
  for (size_t k = 0; k < p.outs.size(); ++k) out_ptr[k] = outs[k].raw_data();
  // Elements [begin, end) (whole blocks but the last): blocks are independent, so ranges run
  // on the pool's threads, each with its own scratch.
  auto run_range = [&](int64_t begin, int64_t end) {
    // Scratch: one block per instruction, per constant and per broadcast (one-element) input.
    thread_local std::vector<T> scratch;
    const size_t need = static_cast<size_t>(n_code + n_const + n_in) * kBlock;
    if (scratch.size() < need) scratch.resize(need);
    T* code_buf = scratch.data();
    T* const_buf = code_buf + static_cast<size_t>(n_code) * kBlock;
    T* bcast_buf = const_buf + static_cast<size_t>(n_const) * kBlock;
    for (int c = 0; c < n_const; ++c) {
      T v = static_cast<T>(consts[c]);
      std::fill(const_buf + c * kBlock, const_buf + (c + 1) * kBlock, v);
    }
    std::vector<const T*> full(n_in, nullptr);
    for (int i = 0; i < n_in; ++i) {
      if (ins[i].numel() == numel && numel != 1) {
        full[i] = ins[i].data_ptr<T>();
      } else {
        T v = ins[i].data_ptr<T>()[0];
        std::fill(bcast_buf + i * kBlock, bcast_buf + (i + 1) * kBlock, v);
      }
    }
    std::vector<const T*> reg(n_regs, nullptr);
    double params[2] = {0.0, 0.0};
    const T* args[3];
    for (int64_t off = begin; off < end; off += kBlock) {
      const int64_t n = std::min<int64_t>(kBlock, end - off);
      for (int i = 0; i < n_in; ++i) reg[i] = full[i] ? full[i] + off : bcast_buf + i * kBlock;
      for (int k = 0; k < n_code; ++k) {
        const Instr& in = p.code[k];
        if (in.kind == Kind::Const && in.args[0].is_const) {
          reg[n_in + k] = const_buf + in.args[0].idx * kBlock;  // read the filled block in place
          continue;
        }
        params[0] = params[1] = 0.0;
        for (int a = 0; a < in.nargs; ++a) {
          const Arg& arg = in.args[a];
          args[a] = arg.is_const ? const_buf + arg.idx * kBlock : reg[arg.idx];
          if (in.kind == Kind::Unary && a > 0) params[a - 1] = consts[arg.idx];
        }
        T* dst = code_buf + k * kBlock;
        run_block<T>(in, dst, args, params, n);
        reg[n_in + k] = dst;
      }
      // An output may reuse an input's buffer: each block is written only after all of its
      // reads, and blocks are disjoint.
      for (size_t k = 0; k < p.outs.size(); ++k) {
        const T* src = reg[p.outs[k].reg];
        if (p.outs[k].is_bool) {
          bool* d = static_cast<bool*>(out_ptr[k]) + off;
          for (int64_t i = 0; i < n; ++i) d[i] = src[i] != T(0);
        } else {
          std::memcpy(static_cast<T*>(out_ptr[k]) + off, src, static_cast<size_t>(n) * sizeof(T));
        }
      }
    }
  };
  const int64_t chunk = (cpu::elementwise_chunk(numel) + kBlock - 1) / kBlock * kBlock;
  cpu::parallel_chunks(numel, chunk, [&](int64_t, int64_t b, int64_t e) { run_range(b, e); });
}

}  // namespace

bool fused_op_known(const std::string& name) { return op_table().count(name) > 0; }

TensorList run_fused_elementwise(TensorList& inputs, const std::vector<IValue>& attrs) {
  EMBER_CHECK(attrs.size() >= 2 && attrs[0].kind() == IValue::Kind::String &&
                  attrs[1].kind() == IValue::Kind::IntList,
              "fused_elementwise: expected attributes (program, shape, constants...)");
  std::shared_ptr<const Program> p = get_program(attrs[0].to_string());
  const Shape& shape = attrs[1].to_int_list();
  for (int64_t s : shape) EMBER_CHECK(s >= 0, "fused_elementwise: negative output size");
  const int64_t numel = shape_numel(shape);
  std::vector<double> consts;
  for (size_t i = 2; i < attrs.size(); ++i) consts.push_back(attrs[i].to_double());
  EMBER_CHECK(p->max_const < static_cast<int>(consts.size()), "fused_elementwise: the program "
              "reads constant c", p->max_const, " but the node has ", consts.size());
  EMBER_CHECK(static_cast<int>(inputs.size()) == p->n_in, "fused_elementwise: the program takes ",
              p->n_in, " inputs, got ", inputs.size());
  const DType dt = p->dtype;
  TensorList ins(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    EMBER_CHECK(t.defined() && t.device().is_cpu(), "fused_elementwise: input ", i,
                " must be a defined CPU tensor");
    EMBER_CHECK(t.numel() == numel || t.numel() == 1, "fused_elementwise: input ", i,
                " has shape ", t.sizes(), " where the program expects ", shape,
                " or one element");
    if (t.numel() == numel && t.sizes() != shape && numel != 1) {
      EMBER_CHECK(false, "fused_elementwise: input ", i, " has shape ", t.sizes(),
                  " where the program expects ", shape);
    }
    Tensor c = t.dtype() == dt ? t : ember::to(t, dt);
    ins[i] = c.is_contiguous() ? c : ember::contiguous(c);
  }
  TensorList outs(p->outs.size());
  for (size_t k = 0; k < p->outs.size(); ++k) {
    const Output& o = p->outs[k];
    if (!o.is_bool && o.reuse_input >= 0) {
      Tensor& src = inputs[o.reuse_input];
      bool taken = false;
      for (size_t j = 0; j < k; ++j) taken |= outs[j].defined() && outs[j].is_same(src);
      // Only a tensor nobody else holds (the executor hands over last uses) is overwritten.
      if (!taken && src.dtype() == dt && src.sizes() == shape && src.is_contiguous() &&
          src.impl_ptr().use_count() == 2 && src.impl()->storage().use_count() == 1 &&
          ins[o.reuse_input].is_same(src)) {
        outs[k] = src;
        continue;
      }
    }
    outs[k] = empty(shape, o.is_bool ? DType::Bool : dt);
  }
  if (numel > 0) {
    if (dt == DType::Float32) {
      run_program<float>(*p, consts, ins, outs, numel);
    } else {
      run_program<double>(*p, consts, ins, outs, numel);
    }
  }
  inputs.clear();
  return outs;
}

namespace {

detail::Registrar fused_reg([] {
  OpInfo info;
  info.name = kFusedElementwise;
  info.fn = [](TensorList& inputs, const std::vector<IValue>& attrs, TensorList& out) {
    out = run_fused_elementwise(inputs, attrs);
  };
  info.flags = kPure;
  return info;
}());

}  // namespace

}  // namespace ember::jit
