#include "ember/jit/ir.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "ember/core/error.h"

namespace ember::jit {

// ---- IValue -----------------------------------------------------------------------------------

namespace {

std::string format_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << std::setprecision(std::numeric_limits<double>::max_digits10) << d;
  std::string s = os.str();
  // Shortest round-tripping form.
  for (int p = 1; p <= 17; ++p) {
    std::ostringstream t;
    t << std::setprecision(p) << d;
    if (std::stod(t.str()) == d) {
      s = t.str();
      break;
    }
  }
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      r += '\\';
      r += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      r += buf;
    } else {
      r += c;
    }
  }
  return r;
}

std::string int_list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

const char* kind_name(IValue::Kind k) {
  switch (k) {
    case IValue::Kind::None: return "none";
    case IValue::Kind::Int: return "int";
    case IValue::Kind::Double: return "double";
    case IValue::Kind::Bool: return "bool";
    case IValue::Kind::String: return "string";
    case IValue::Kind::IntList: return "int list";
    case IValue::Kind::Scalar: return "scalar";
    case IValue::Kind::DType: return "dtype";
  }
  return "?";
}

}  // namespace

#define EMBER_IVALUE_GET(T, what)                                                             \
  const T* p = std::get_if<T>(&v_);                                                            \
  EMBER_CHECK(p != nullptr, "jit: attribute of kind ", kind_name(kind()), " read as ", what); \
  return *p;

int64_t IValue::to_int() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  EMBER_IVALUE_GET(int64_t, "int")
}
double IValue::to_double() const {
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  EMBER_IVALUE_GET(double, "double")
}
bool IValue::to_bool() const { EMBER_IVALUE_GET(bool, "bool") }
const std::string& IValue::to_string() const { EMBER_IVALUE_GET(std::string, "string") }
const IValue::IntList& IValue::to_int_list() const { EMBER_IVALUE_GET(IntList, "int list") }
ember::Scalar IValue::to_scalar() const { EMBER_IVALUE_GET(ember::Scalar, "scalar") }
ember::DType IValue::to_dtype() const { EMBER_IVALUE_GET(ember::DType, "dtype") }
#undef EMBER_IVALUE_GET

bool IValue::operator==(const IValue& o) const {
  if (kind() != o.kind()) return false;
  switch (kind()) {
    case Kind::None: return true;
    case Kind::Double: {
      // Bitwise, so NaN attributes compare equal and -0.0 differs from 0.0.
      double a = std::get<double>(v_), b = std::get<double>(o.v_);
      return std::memcmp(&a, &b, sizeof a) == 0;
    }
    case Kind::Scalar: {
      const auto& a = std::get<ember::Scalar>(v_);
      const auto& b = std::get<ember::Scalar>(o.v_);
      if (a.is_floating() != b.is_floating() || a.is_bool() != b.is_bool()) return false;
      if (a.is_floating()) {
        double x = a.to_double(), y = b.to_double();
        return std::memcmp(&x, &y, sizeof x) == 0;
      }
      return a.to_int() == b.to_int();
    }
    case Kind::Int: return std::get<int64_t>(v_) == std::get<int64_t>(o.v_);
    case Kind::Bool: return std::get<bool>(v_) == std::get<bool>(o.v_);
    case Kind::String: return std::get<std::string>(v_) == std::get<std::string>(o.v_);
    case Kind::IntList: return std::get<IntList>(v_) == std::get<IntList>(o.v_);
    case Kind::DType: return std::get<ember::DType>(v_) == std::get<ember::DType>(o.v_);
  }
}

size_t IValue::hash() const {
  size_t h = std::hash<int>()(static_cast<int>(kind()));
  auto mix = [&h](size_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  switch (kind()) {
    case Kind::None: break;
    case Kind::Int: mix(std::hash<int64_t>()(std::get<int64_t>(v_))); break;
    case Kind::Double: mix(std::hash<double>()(std::get<double>(v_))); break;
    case Kind::Bool: mix(std::get<bool>(v_)); break;
    case Kind::String: mix(std::hash<std::string>()(std::get<std::string>(v_))); break;
    case Kind::IntList:
      for (int64_t x : std::get<IntList>(v_)) mix(std::hash<int64_t>()(x));
      break;
    case Kind::Scalar: mix(std::hash<double>()(std::get<ember::Scalar>(v_).to_double())); break;
    case Kind::DType: mix(static_cast<size_t>(std::get<ember::DType>(v_))); break;
  }
  return h;
}

std::string IValue::repr() const {
  switch (kind()) {
    case Kind::None: return "none";
    case Kind::Int: return std::to_string(std::get<int64_t>(v_));
    case Kind::Double: return format_double(std::get<double>(v_));
    case Kind::Bool: return std::get<bool>(v_) ? "true" : "false";
    case Kind::String: return "\"" + json_escape(std::get<std::string>(v_)) + "\"";
    case Kind::IntList: return int_list_str(std::get<IntList>(v_));
    case Kind::Scalar: {
      const auto& s = std::get<ember::Scalar>(v_);
      if (s.is_bool()) return s.to_int() ? "true" : "false";
      if (s.is_floating()) return format_double(s.to_double());
      return std::to_string(s.to_int());
    }
    case Kind::DType: return dtype_name(std::get<ember::DType>(v_));
  }
  return "?";
}

std::string IValue::to_json() const {
  switch (kind()) {
    case Kind::None: return "{\"none\":null}";
    case Kind::Int: return "{\"int\":" + std::to_string(std::get<int64_t>(v_)) + "}";
    case Kind::Double: {
      double d = std::get<double>(v_);
      if (!std::isfinite(d)) return "{\"double_str\":\"" + format_double(d) + "\"}";
      return "{\"double\":" + format_double(d) + "}";
    }
    case Kind::Bool: return std::string("{\"bool\":") + (std::get<bool>(v_) ? "true" : "false") + "}";
    case Kind::String: return "{\"string\":\"" + json_escape(std::get<std::string>(v_)) + "\"}";
    case Kind::IntList: return "{\"ints\":" + int_list_str(std::get<IntList>(v_)) + "}";
    case Kind::Scalar: {
      const auto& s = std::get<ember::Scalar>(v_);
      if (s.is_bool()) return std::string("{\"scalar_bool\":") + (s.to_int() ? "true" : "false") + "}";
      if (s.is_floating()) {
        if (!std::isfinite(s.to_double()))
          return "{\"scalar_double_str\":\"" + format_double(s.to_double()) + "\"}";
        return "{\"scalar_double\":" + format_double(s.to_double()) + "}";
      }
      return "{\"scalar_int\":" + std::to_string(s.to_int()) + "}";
    }
    case Kind::DType:
      return std::string("{\"dtype\":\"") + dtype_name(std::get<ember::DType>(v_)) + "\"}";
  }
  return "null";
}

// ---- Value / Node -----------------------------------------------------------------------------

std::string dtype_short(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "u8";
    case DType::Int32: return "i32";
    case DType::Int64: return "i64";
    case DType::Float32: return "f32";
    case DType::Float64: return "f64";
  }
  return "?";
}

std::string Value::display() const {
  if (!defined_) return "none";
  if (!name_.empty()) return "%" + name_;
  return "%" + std::to_string(id_);
}

std::string Value::type_str() const {
  if (!defined_) return "none";
  std::string s = dtype_short(dtype_) + "[";
  for (size_t i = 0; i < sizes_.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes_[i]);
  s += "]";
  if (!device_.is_cpu()) s += "@" + device_.str();
  return s;
}

void Value::replace_all_uses_with(Value* other) {
  if (other == this) return;
  std::vector<Node*> users = uses_;
  for (Node* n : users) {
    for (size_t i = 0; i < n->inputs_.size(); ++i) {
      if (n->inputs_[i] == this) n->replace_input(i, other);
    }
  }
  if (Graph* g = graph_) {
    for (size_t i = 0; i < g->outputs().size(); ++i) {
      if (g->outputs()[i] == this) g->set_output(i, other);
    }
  }
}

void Node::replace_input(size_t i, Value* v) {
  Value* old = inputs_.at(i);
  auto it = std::find(old->uses_.begin(), old->uses_.end(), this);
  if (it != old->uses_.end()) old->uses_.erase(it);
  inputs_[i] = v;
  v->uses_.push_back(this);
}

void Node::add_input(Value* v) {
  inputs_.push_back(v);
  v->uses_.push_back(this);
}

Value* Node::add_output(const Shape& sizes, DType dtype, Device device) {
  Value* v = graph_->new_value(Value::Kind::Node);
  v->sizes_ = sizes;
  v->dtype_ = dtype;
  v->device_ = device;
  v->producer_ = this;
  v->output_index_ = outputs_.size();
  outputs_.push_back(v);
  return v;
}

// ---- Graph ------------------------------------------------------------------------------------

Value* Graph::new_value(Value::Kind kind) {
  values_.push_back(std::make_unique<Value>());
  Value* v = values_.back().get();
  v->id_ = next_id_++;
  v->graph_ = this;
  v->kind_ = kind;
  return v;
}

Value* Graph::add_input(const Shape& sizes, DType dtype, Device device, std::string name) {
  Value* v = new_value(Value::Kind::Input);
  v->sizes_ = sizes;
  v->dtype_ = dtype;
  v->device_ = device;
  v->name_ = std::move(name);
  inputs_.push_back(v);
  return v;
}

void Graph::finish_guards() {
  bool backward = false;
  for (const auto& n : nodes_) {
    backward = backward || n->op() == "accumulate_grad" || n->op() == "autograd_backward";
  }
  if (!backward) rg_guards_.clear();
  for (Value* p : params_) {
    if (p->grad_owner().defined()) p->set_tensor(Tensor());
  }
}

Value* Graph::add_param(const Tensor& t, std::string name) {
  Value* v = new_value(Value::Kind::Param);
  v->sizes_ = t.sizes();
  v->dtype_ = t.dtype();
  v->device_ = t.device();
  v->tensor_ = t;
  v->name_ = std::move(name);
  params_.push_back(v);
  return v;
}

Value* Graph::add_constant(const Tensor& t) {
  if (!t.defined()) return undefined_value();
  Value* v = new_value(Value::Kind::Constant);
  v->sizes_ = t.sizes();
  v->dtype_ = t.dtype();
  v->device_ = t.device();
  v->tensor_ = t;
  constants_.push_back(v);
  return v;
}

Value* Graph::undefined_value() {
  if (!undefined_) {
    undefined_ = new_value(Value::Kind::Constant);
    undefined_->defined_ = false;
    constants_.push_back(undefined_);
  }
  return undefined_;
}

Node* Graph::create_node(const std::string& op, const std::vector<Value*>& inputs,
                         std::vector<IValue> attrs, uint32_t flags, Node* before) {
  auto node = std::make_unique<Node>();
  Node* n = node.get();
  n->op_ = op;
  n->attrs_ = std::move(attrs);
  n->flags_ = flags;
  n->graph_ = this;
  for (Value* v : inputs) n->add_input(v);
  if (before) {
    EMBER_INTERNAL_ASSERT(before->graph_ == this);
    n->pos_ = nodes_.insert(before->pos_, std::move(node));
  } else {
    n->pos_ = nodes_.insert(nodes_.end(), std::move(node));
  }
  return n;
}

void Graph::erase_node(Node* n) {
  EMBER_INTERNAL_ASSERT(n->graph_ == this);
  for (Value* o : n->outputs_) {
    EMBER_CHECK(o->uses_.empty(), "jit: cannot erase node ", n->op_, ": its output ", o->display(),
                " is still used");
    EMBER_CHECK(std::find(outputs_.begin(), outputs_.end(), o) == outputs_.end(),
                "jit: cannot erase node ", n->op_, ": its output ", o->display(),
                " is a graph output");
  }
  for (size_t i = 0; i < n->inputs_.size(); ++i) {
    Value* in = n->inputs_[i];
    auto it = std::find(in->uses_.begin(), in->uses_.end(), n);
    if (it != in->uses_.end()) in->uses_.erase(it);
  }
  for (Value* o : n->outputs_) o->producer_ = nullptr;
  nodes_.erase(n->pos_);
}

void Graph::move_before(Node* n, Node* before) {
  auto holder = std::move(*n->pos_);
  nodes_.erase(n->pos_);
  n->pos_ = nodes_.insert(before->pos_, std::move(holder));
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> r;
  r.reserve(nodes_.size());
  for (const auto& n : nodes_) r.push_back(n.get());
  return r;
}

void Graph::remove_unused_leaves() {
  auto unused = [this](Value* v) {
    return v->uses_.empty() && std::find(outputs_.begin(), outputs_.end(), v) == outputs_.end();
  };
  params_.erase(std::remove_if(params_.begin(), params_.end(), unused), params_.end());
  constants_.erase(std::remove_if(constants_.begin(), constants_.end(),
                                  [&](Value* v) { return v != undefined_ && unused(v); }),
                   constants_.end());
}

void Graph::renumber() {
  size_t id = 0;
  std::unordered_set<const Value*> live;
  auto number = [&](Value* v) {
    if (live.insert(v).second) v->id_ = id++;
  };
  for (Value* v : inputs_) number(v);
  for (Value* v : params_) number(v);
  for (Value* v : constants_) number(v);
  for (const auto& n : nodes_) {
    for (Value* v : n->outputs_) number(v);
  }
  // Values no longer in the graph get ids after the live ones, so ids stay unique.
  for (const auto& v : values_) {
    if (!live.count(v.get())) v->id_ = id++;
  }
  next_id_ = id;
}

std::string Graph::str() const {
  std::ostringstream os;
  os << "graph(";
  for (size_t i = 0; i < inputs_.size(); ++i) {
    os << (i ? ",\n      " : "") << inputs_[i]->display() << " : " << inputs_[i]->type_str();
  }
  os << "):\n";
  for (Value* p : params_) os << "  param " << p->display() << " : " << p->type_str() << "\n";
  for (Value* c : constants_) {
    if (!c->defined()) continue;
    os << "  const " << c->display() << " : " << c->type_str();
    if (c->tensor().numel() == 1 && c->tensor().defined()) {
      os << " = " << IValue(c->tensor().item()).repr();
    }
    os << "\n";
  }
  for (const auto& up : nodes_) {
    const Node* n = up.get();
    os << "  ";
    for (size_t i = 0; i < n->outputs_.size(); ++i) {
      os << (i ? ", " : "") << n->outputs_[i]->display() << " : " << n->outputs_[i]->type_str();
    }
    if (!n->outputs_.empty()) os << " = ";
    os << n->op_ << "(";
    bool first = true;
    for (Value* v : n->inputs_) {
      os << (first ? "" : ", ") << v->display();
      first = false;
    }
    for (const IValue& a : n->attrs_) {
      os << (first ? "" : ", ") << a.repr();
      first = false;
    }
    os << ")";
    if (n->flags_ & kInplace) os << "  # in-place on input " << n->inplace_input_;
    if (n->flags_ & kSideEffect) os << "  # side effect";
    if (n->flags_ & kRandom) os << "  # random";
    if (n->flags_ & kKeepsAutograd) os << "  # keeps autograd";
    os << "\n";
  }
  os << "  return (";
  for (size_t i = 0; i < outputs_.size(); ++i) os << (i ? ", " : "") << outputs_[i]->display();
  os << ")\n";
  return os.str();
}

std::string Graph::to_dot() const {
  std::ostringstream os;
  os << "digraph G {\n  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n";
  auto vname = [](const Value* v) { return "v" + std::to_string(v->id()); };
  auto esc = [](std::string s) {
    std::string r;
    for (char c : s) {
      if (c == '"' || c == '\\') r += '\\';
      r += c;
    }
    return r;
  };
  for (Value* v : inputs_) {
    os << "  " << vname(v) << " [shape=ellipse, style=filled, fillcolor=lightblue, label=\""
       << esc(v->display()) << "\\n" << esc(v->type_str()) << "\"];\n";
  }
  for (Value* v : params_) {
    os << "  " << vname(v) << " [shape=ellipse, style=filled, fillcolor=lightyellow, label=\""
       << esc(v->display()) << "\\n" << esc(v->type_str()) << "\"];\n";
  }
  for (Value* v : constants_) {
    if (!v->defined()) continue;
    os << "  " << vname(v) << " [shape=ellipse, style=dashed, label=\""
       << esc("const " + v->type_str()) << "\"];\n";
  }
  for (const auto& up : nodes_) {
    const Node* n = up.get();
    std::string nid = "n" + std::to_string(reinterpret_cast<uintptr_t>(n));
    std::string label = n->op_;
    for (const IValue& a : n->attrs_) label += "\\n" + esc(a.repr());
    os << "  " << nid << " [shape=box, label=\"" << label << "\""
       << (n->pure() ? "" : ", style=filled, fillcolor=mistyrose") << "];\n";
    for (Value* v : n->inputs_) {
      if (!v->defined()) continue;
      std::string src = v->producer()
                            ? "n" + std::to_string(reinterpret_cast<uintptr_t>(v->producer()))
                            : vname(v);
      os << "  " << src << " -> " << nid << " [label=\"" << esc(v->type_str()) << "\"];\n";
    }
  }
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const Value* v = outputs_[i];
    os << "  out" << i << " [shape=doublecircle, label=\"out " << i << "\"];\n";
    std::string src = v->producer()
                          ? "n" + std::to_string(reinterpret_cast<uintptr_t>(v->producer()))
                          : vname(v);
    os << "  " << src << " -> out" << i << ";\n";
  }
  os << "}\n";
  return os.str();
}

void Graph::lint() const {
  std::unordered_set<const Value*> seen;
  for (Value* v : inputs_) seen.insert(v);
  for (Value* v : params_) seen.insert(v);
  for (Value* v : constants_) seen.insert(v);
  for (const auto& up : nodes_) {
    const Node* n = up.get();
    for (Value* v : n->inputs_) {
      EMBER_CHECK(seen.count(v), "jit: graph lint: node ", n->op_, " reads ", v->display(),
                  " before it is defined");
      EMBER_CHECK(std::count(v->uses_.begin(), v->uses_.end(), n) >= 1,
                  "jit: graph lint: use list of ", v->display(), " misses ", n->op_);
    }
    for (Value* o : n->outputs_) {
      EMBER_CHECK(o->producer_ == n, "jit: graph lint: bad producer of ", o->display());
      seen.insert(o);
    }
  }
  for (Value* o : outputs_) {
    EMBER_CHECK(seen.count(o), "jit: graph lint: output ", o->display(), " is not defined");
  }
}

}  // namespace ember::jit
