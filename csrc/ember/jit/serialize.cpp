#include "ember/jit/serialize.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <variant>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "ember/core/error.h"
#include "ember/ops/ops.h"

namespace ember::jit {

namespace {

constexpr char kMagic[8] = {'E', 'M', 'B', 'E', 'R', 'J', 'I', 'T'};

// FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211). Files written before
// 2026-12-02 used 1469598103934665603 as the basis (a digit short); load accepts both.
constexpr uint64_t kFnvBasis = 14695981039346656037ULL;
constexpr uint64_t kFnvBasisLegacy = 1469598103934665603ULL;

uint64_t fnv1a(const char* p, size_t n, uint64_t basis = kFnvBasis) {
  uint64_t h = basis;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Replaces `path` with `bytes`: written to a fresh temporary name in the destination's folder,
// flushed to disk, then renamed over it, so a reader sees the old file or the whole new one and
// a failed save leaves the old file as it was. A symbolic link is written through (its target is
// replaced, the link stays), and an existing file keeps its permission bits; a new one gets
// 0666 less the umask, as std::ofstream would give it.
void write_file_atomically(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target(path);
  // Follow links (a dangling one too: its target is created), at most as deep as POSIX allows.
  for (int depth = 0; depth < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++depth) {
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) break;
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  const std::string dest = target.string();
#if defined(__unix__) || defined(__APPLE__)
  struct stat old_stat;
  const bool existed = ::stat(dest.c_str(), &old_stat) == 0;
  // Replacing a read-only file would succeed (the folder is writable) but defeat its protection.
  EMBER_CHECK(!existed || ::access(dest.c_str(), W_OK) == 0, "jit.save: ", dest,
              " is read-only; nothing was written");
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = (target.parent_path() / ("." + target.filename().string() + ".tmp." +
                                   std::to_string(::getpid()) + "." +
                                   std::to_string(counter.fetch_add(1))))
              .string();
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
    EMBER_CHECK(fd >= 0 || (errno == EEXIST && attempt < 100), "jit.save: cannot create ", tmp,
                " for writing (", std::strerror(errno), ")");
  }
  // The old mode before any byte is written: a private file never shows its data.
  bool ok = !existed || ::fchmod(fd, old_stat.st_mode & 07777) == 0;
  int err = ok ? 0 : errno;
  size_t done = 0;
  while (ok && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
    else err = n < 0 ? errno : EIO;
  }
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    throw Error("jit.save: writing " + tmp + " failed (" + std::strerror(err) + "); " + dest +
                " is unchanged");
  }
  if (std::rename(tmp.c_str(), dest.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw Error("jit.save: cannot move " + tmp + " to " + dest + " (" + std::strerror(e) + ")");
  }
#else
  const std::string tmp = dest + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(f.good(), "jit.save: cannot open ", tmp, " for writing");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    EMBER_CHECK(f.good(), "jit.save: writing ", tmp, " failed");
  }
  fs::rename(tmp, dest, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error("jit.save: cannot move " + tmp + " to " + dest + " (" + ec.message() + ")");
  }
#endif
}

std::string jstr(const std::string& s) { return IValue(s).repr(); }  // quoted, escaped

std::string shape_json(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

const char* st_dtype(DType d) {
  switch (d) {
    case DType::Bool: return "BOOL";
    case DType::UInt8: return "U8";
    case DType::Int32: return "I32";
    case DType::Int64: return "I64";
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
  }
  return "?";
}

// ---- a small JSON reader ------------------------------------------------------------------------

struct Json;
using JsonArray = std::vector<Json>;
using JsonObject = std::map<std::string, Json>;
struct Json {
  // null, bool, integer, double, string, array, object
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, JsonArray, JsonObject> v;
  bool has(const std::string& k) const {
    auto* o = std::get_if<JsonObject>(&v);
    return o && o->count(k);
  }
  const Json& operator[](const std::string& k) const {
    auto* o = std::get_if<JsonObject>(&v);
    if (!o || !o->count(k)) throw Error("jit.load: corrupt file: graph JSON lacks field \"" + k + "\"");
    return o->at(k);
  }
  const JsonArray& arr() const {
    auto* a = std::get_if<JsonArray>(&v);
    if (!a) throw Error("jit.load: corrupt file: expected a JSON array");
    return *a;
  }
  const JsonObject& obj() const {
    auto* a = std::get_if<JsonObject>(&v);
    if (!a) throw Error("jit.load: corrupt file: expected a JSON object");
    return *a;
  }
  int64_t i() const {
    if (auto* x = std::get_if<int64_t>(&v)) return *x;
    throw Error("jit.load: corrupt file: expected a JSON integer");
  }
  double d() const {
    if (auto* x = std::get_if<double>(&v)) return *x;
    if (auto* x = std::get_if<int64_t>(&v)) return static_cast<double>(*x);
    throw Error("jit.load: corrupt file: expected a JSON number");
  }
  bool b() const {
    if (auto* x = std::get_if<bool>(&v)) return *x;
    throw Error("jit.load: corrupt file: expected a JSON bool");
  }
  const std::string& s() const {
    if (auto* x = std::get_if<std::string>(&v)) return *x;
    throw Error("jit.load: corrupt file: expected a JSON string");
  }
};

class JsonReader {
 public:
  JsonReader(const char* p, size_t n) : p_(p), end_(p + n) {}
  Json parse() {
    Json j = value(0);
    ws();
    if (p_ != end_) fail("trailing characters");
    return j;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw Error(std::string("jit.load: corrupt file: malformed graph JSON (") + what + ")");
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }
  bool lit(const char* s) {
    size_t n = std::strlen(s);
    if (static_cast<size_t>(end_ - p_) >= n && std::memcmp(p_, s, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }
  Json value(int depth) {
    if (depth > 64) fail("nesting too deep");
    ws();
    if (p_ >= end_) fail("unexpected end");
    Json j;
    char c = *p_;
    if (c == '{') {
      ++p_;
      JsonObject o;
      ws();
      if (p_ < end_ && *p_ == '}') {
        ++p_;
      } else {
        while (true) {
          ws();
          std::string k = str();
          ws();
          if (p_ >= end_ || *p_ != ':') fail("expected ':'");
          ++p_;
          o[k] = value(depth + 1);
          ws();
          if (p_ < end_ && *p_ == ',') { ++p_; continue; }
          if (p_ < end_ && *p_ == '}') { ++p_; break; }
          fail("expected ',' or '}'");
        }
      }
      j.v = std::move(o);
    } else if (c == '[') {
      ++p_;
      JsonArray a;
      ws();
      if (p_ < end_ && *p_ == ']') {
        ++p_;
      } else {
        while (true) {
          a.push_back(value(depth + 1));
          ws();
          if (p_ < end_ && *p_ == ',') { ++p_; continue; }
          if (p_ < end_ && *p_ == ']') { ++p_; break; }
          fail("expected ',' or ']'");
        }
      }
      j.v = std::move(a);
    } else if (c == '"') {
      j.v = str();
    } else if (lit("null")) {
      j.v = nullptr;
    } else if (lit("true")) {
      j.v = true;
    } else if (lit("false")) {
      j.v = false;
    } else {
      const char* s = p_;
      bool is_float = false;
      if (p_ < end_ && (*p_ == '-' || *p_ == '+')) ++p_;
      while (p_ < end_ && (std::isdigit(static_cast<unsigned char>(*p_)) || *p_ == '.' ||
                           *p_ == 'e' || *p_ == 'E' || *p_ == '-' || *p_ == '+')) {
        if (*p_ == '.' || *p_ == 'e' || *p_ == 'E') is_float = true;
        ++p_;
      }
      if (p_ == s) fail("unexpected character");
      std::string num(s, p_);
      try {
        if (is_float) {
          j.v = std::stod(num);
        } else {
          j.v = static_cast<int64_t>(std::stoll(num));
        }
      } catch (const std::exception&) {
        fail("bad number");
      }
    }
    return j;
  }
  std::string str() {
    if (p_ >= end_ || *p_ != '"') fail("expected a string");
    ++p_;
    std::string r;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') {
        ++p_;
        if (p_ >= end_) fail("bad escape");
        char e = *p_++;
        switch (e) {
          case 'n': r += '\n'; break;
          case 't': r += '\t'; break;
          case 'r': r += '\r'; break;
          case 'b': r += '\b'; break;
          case 'f': r += '\f'; break;
          case 'u': {
            if (end_ - p_ < 4) fail("bad escape");
            unsigned code = std::stoul(std::string(p_, p_ + 4), nullptr, 16);
            p_ += 4;
            if (code < 0x80) {
              r += static_cast<char>(code);
            } else if (code < 0x800) {
              r += static_cast<char>(0xC0 | (code >> 6));
              r += static_cast<char>(0x80 | (code & 0x3F));
            } else {
              r += static_cast<char>(0xE0 | (code >> 12));
              r += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
              r += static_cast<char>(0x80 | (code & 0x3F));
            }
            break;
          }
          default: r += e;
        }
      } else {
        r += *p_++;
      }
    }
    if (p_ >= end_) fail("unterminated string");
    ++p_;
    return r;
  }
  const char* p_;
  const char* end_;
};

DType parse_dtype(const std::string& s) {
  for (DType d : {DType::Bool, DType::UInt8, DType::Int32, DType::Int64, DType::Float32,
                  DType::Float64}) {
    if (s == dtype_name(d)) return d;
  }
  throw Error("jit.load: corrupt file: unknown dtype \"" + s + "\"");
}

DType parse_st_dtype(const std::string& s) {
  for (DType d : {DType::Bool, DType::UInt8, DType::Int32, DType::Int64, DType::Float32,
                  DType::Float64}) {
    if (s == st_dtype(d)) return d;
  }
  throw Error("jit.load: corrupt file: unknown tensor dtype \"" + s + "\"");
}

Shape parse_shape(const Json& j) {
  Shape s;
  for (const Json& x : j.arr()) {
    EMBER_CHECK(x.i() >= 0, "jit.load: corrupt file: a shape has the negative size ", x.i());
    s.push_back(x.i());
  }
  return s;
}

IValue parse_attr(const Json& j) {
  const JsonObject& o = j.obj();
  if (o.size() != 1) throw Error("jit.load: corrupt file: bad attribute");
  const std::string& k = o.begin()->first;
  const Json& v = o.begin()->second;
  if (k == "none") return IValue();
  if (k == "int") return IValue(v.i());
  if (k == "double") return IValue(v.d());
  if (k == "double_str") return IValue(std::stod(v.s()));
  if (k == "bool") return IValue(v.b());
  if (k == "string") return IValue(v.s());
  if (k == "ints") return IValue(parse_shape(v));
  if (k == "scalar_int") return IValue(Scalar(v.i()));
  if (k == "scalar_double") return IValue(Scalar(v.d()));
  if (k == "scalar_double_str") return IValue(Scalar(std::stod(v.s())));
  if (k == "scalar_bool") return IValue(Scalar(v.b()));
  if (k == "dtype") return IValue(parse_dtype(v.s()));
  throw Error("jit.load: corrupt file: unknown attribute kind \"" + k + "\"");
}

}  // namespace

void save_graph(const Graph& g, const std::string& path, const std::string& meta) {
  // Tensors: params and defined constants, in the safetensors layout.
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::unordered_map<const Value*, std::string> key;
  for (size_t i = 0; i < g.params().size(); ++i) {
    key[g.params()[i]] = "param." + std::to_string(i);
    const Value* p = g.params()[i];
    // A `.grad` param holds no tensor of its own: its owner's gradient now is saved.
    tensors.emplace_back(key[p], p->grad_owner().defined() ? p->grad_owner().grad() : p->tensor());
  }
  for (size_t i = 0; i < g.constants().size(); ++i) {
    const Value* c = g.constants()[i];
    if (!c->defined()) continue;
    key[c] = "const." + std::to_string(i);
    tensors.emplace_back(key[c], c->tensor());
  }
  std::string st_header = "{";
  std::string st_data;
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor t = contiguous(tensors[i].second.detach());
    EMBER_CHECK(t.device().is_cpu(), "jit.save: tensor ", tensors[i].first, " is on ",
                t.device().str(), "; only CPU tensors can be saved");
    size_t nbytes = static_cast<size_t>(t.numel()) * itemsize(t.dtype());
    size_t begin = st_data.size();
    st_data.append(static_cast<const char*>(t.raw_data()), nbytes);
    st_header += (i ? "," : "") + jstr(tensors[i].first) + ":{\"dtype\":\"" + st_dtype(t.dtype()) +
                 "\",\"shape\":" + shape_json(t.sizes()) + ",\"data_offsets\":[" +
                 std::to_string(begin) + "," + std::to_string(st_data.size()) + "]}";
  }
  st_header += "}";
  while (st_header.size() % 8 != 0) st_header += ' ';

  std::ostringstream js;
  js << "{\"format\":\"ember.jit\",\"version\":" << kFormatVersion << ",\"meta\":" << jstr(meta);
  auto vtype = [](const Value* v) {
    return std::string("\"dtype\":\"") + dtype_name(v->dtype()) + "\",\"shape\":" +
           shape_json(v->sizes()) + ",\"device\":\"" + v->device().str() + "\"";
  };
  js << ",\"inputs\":[";
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const Value* v = g.inputs()[i];
    js << (i ? "," : "") << "{\"id\":" << v->id() << ",\"name\":" << jstr(v->name()) << ","
       << vtype(v) << "}";
  }
  js << "],\"params\":[";
  for (size_t i = 0; i < g.params().size(); ++i) {
    const Value* v = g.params()[i];
    js << (i ? "," : "") << "{\"id\":" << v->id() << ",\"name\":" << jstr(v->name())
       << ",\"tensor\":" << jstr(key[v]) << "}";
  }
  js << "],\"constants\":[";
  for (size_t i = 0; i < g.constants().size(); ++i) {
    const Value* v = g.constants()[i];
    js << (i ? "," : "") << "{\"id\":" << v->id();
    if (v->defined()) {
      js << ",\"tensor\":" << jstr(key[v]) << ",\"wrapped_number\":"
         << (v->tensor().impl()->is_wrapped_number() ? "true" : "false");
    } else {
      js << ",\"undefined\":true";
    }
    js << "}";
  }
  js << "],\"nodes\":[";
  bool first = true;
  for (const Node* n : g.nodes()) {
    js << (first ? "" : ",") << "{\"op\":" << jstr(n->op()) << ",\"flags\":" << n->flags()
       << ",\"inplace_input\":" << n->inplace_input() << ",\"requires_grad_inputs\":[";
    for (size_t i = 0; i < n->requires_grad_inputs().size(); ++i) {
      js << (i ? "," : "") << static_cast<int>(n->requires_grad_inputs()[i]);
    }
    js << "],\"inputs\":[";
    first = false;
    for (size_t i = 0; i < n->inputs().size(); ++i) js << (i ? "," : "") << n->inputs()[i]->id();
    js << "],\"attrs\":[";
    for (size_t i = 0; i < n->attrs().size(); ++i) js << (i ? "," : "") << n->attrs()[i].to_json();
    js << "],\"outputs\":[";
    for (size_t i = 0; i < n->outputs().size(); ++i) {
      js << (i ? "," : "") << "{\"id\":" << n->outputs()[i]->id() << "," << vtype(n->outputs()[i])
         << "}";
    }
    js << "]}";
  }
  js << "],\"outputs\":[";
  for (size_t i = 0; i < g.outputs().size(); ++i) js << (i ? "," : "") << g.outputs()[i]->id();
  js << "]}";
  std::string graph_json = js.str();

  std::string body = graph_json;
  put_u64(body, st_header.size());
  body += st_header;
  body += st_data;
  std::string head(kMagic, 8);
  put_u32(head, kFormatVersion);
  put_u64(head, graph_json.size());
  put_u64(head, fnv1a(body.data(), body.size()));

  write_file_atomically(path, head + body);
}

std::shared_ptr<Graph> load_graph(const std::string& path, std::string* meta) {
  std::ifstream f(path, std::ios::binary);
  EMBER_CHECK(f.good(), "jit.load: cannot open ", path);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EMBER_CHECK(data.size() >= 8 && std::memcmp(data.data(), kMagic, 8) == 0, "jit.load: ", path,
              " is not an ember.jit file (bad magic bytes)");
  EMBER_CHECK(data.size() >= 28, "jit.load: corrupt file: ", path, " is truncated (", data.size(),
              " bytes, shorter than the 28-byte header)");
  uint32_t version = get_u32(data.data() + 8);
  EMBER_CHECK(version <= kFormatVersion, "jit.load: ", path, " was written in format version ",
              version, " but this ember reads versions up to ", kFormatVersion,
              "; upgrade ember to load it");
  EMBER_CHECK(version >= 1, "jit.load: corrupt file: ", path, " has format version 0");
  uint64_t json_len = get_u64(data.data() + 12);
  uint64_t checksum = get_u64(data.data() + 20);
  const char* body = data.data() + 28;
  const size_t body_len = data.size() - 28;
  EMBER_CHECK(fnv1a(body, body_len) == checksum ||
                  fnv1a(body, body_len, kFnvBasisLegacy) == checksum,
              "jit.load: corrupt file: ", path, " fails its checksum (truncated or modified)");
  // Compared without adding to the lengths read from the file, which could wrap around.
  EMBER_CHECK(json_len <= body_len && body_len - json_len >= 8, "jit.load: corrupt file: ", path,
              " is truncated");
  Json j = JsonReader(body, json_len).parse();
  EMBER_CHECK(j["format"].s() == "ember.jit", "jit.load: corrupt file: unknown format");
  if (meta) *meta = j["meta"].s();

  const char* st = body + json_len;
  const size_t st_len = body_len - json_len;
  uint64_t hlen = get_u64(st);
  EMBER_CHECK(hlen <= st_len - 8, "jit.load: corrupt file: tensor header is truncated");
  Json th = JsonReader(st + 8, hlen).parse();
  const char* tdata = st + 8 + hlen;
  const size_t tdata_len = st_len - 8 - hlen;
  auto read_tensor = [&](const std::string& k) {
    const Json& e = th[k];
    DType dt = parse_st_dtype(e["dtype"].s());
    Shape shape = parse_shape(e["shape"]);
    const JsonArray& off = e["data_offsets"].arr();
    EMBER_CHECK(off.size() == 2, "jit.load: corrupt file: bad data_offsets");
    int64_t b = off[0].i(), en = off[1].i();
    EMBER_CHECK(b >= 0 && en >= b && static_cast<uint64_t>(en) <= tdata_len &&
                    static_cast<uint64_t>(en - b) ==
                        static_cast<uint64_t>(shape_numel(shape)) * itemsize(dt),
                "jit.load: corrupt file: tensor ", k, " data is out of bounds");
    Tensor t = empty(shape, dt);
    if (en > b) std::memcpy(t.raw_data(), tdata + b, static_cast<size_t>(en - b));
    return t;
  };

  auto g = std::make_shared<Graph>();
  std::unordered_map<int64_t, Value*> vals;
  auto bind = [&](int64_t id, Value* v) {
    EMBER_CHECK(vals.emplace(id, v).second, "jit.load: corrupt file: value id ", id, " repeats");
  };
  for (const Json& in : j["inputs"].arr()) {
    bind(in["id"].i(), g->add_input(parse_shape(in["shape"]), parse_dtype(in["dtype"].s()),
                                    Device{}, in["name"].s()));
  }
  for (const Json& p : j["params"].arr()) {
    bind(p["id"].i(), g->add_param(read_tensor(p["tensor"].s()), p["name"].s()));
  }
  for (const Json& c : j["constants"].arr()) {
    if (c.has("undefined")) {
      bind(c["id"].i(), g->undefined_value());
    } else {
      Tensor t = read_tensor(c["tensor"].s());
      if (c.has("wrapped_number") && c["wrapped_number"].b()) t.impl()->set_wrapped_number(true);
      bind(c["id"].i(), g->add_constant(t));
    }
  }
  for (const Json& n : j["nodes"].arr()) {
    std::vector<Value*> ins;
    for (const Json& i : n["inputs"].arr()) {
      auto it = vals.find(i.i());
      EMBER_CHECK(it != vals.end(), "jit.load: corrupt file: node ", n["op"].s(),
                  " reads unknown value ", i.i());
      ins.push_back(it->second);
    }
    std::vector<IValue> attrs;
    for (const Json& a : n["attrs"].arr()) attrs.push_back(parse_attr(a));
    // The flags and the in-place input as tracing sets them: known bits only, and an in-place
    // node's written input among its inputs (0 for the others). (How many inputs and
    // attributes the op reads is checked when the node runs.)
    const std::string& op = n["op"].s();
    const int64_t flags = n["flags"].i();
    constexpr int64_t kKnownFlags = kInplace | kSideEffect | kRandom | kKeepsAutograd;
    EMBER_CHECK(flags >= 0 && (flags & ~kKnownFlags) == 0, "jit.load: corrupt file: node ", op,
                " has unknown flags ", flags);
    const int64_t written = n["inplace_input"].i();
    EMBER_CHECK((flags & kInplace) ? written >= 0 && written < static_cast<int64_t>(ins.size())
                                   : written == 0,
                "jit.load: corrupt file: node ", op, " has in-place input ", written, " of ",
                ins.size(), " inputs");
    Node* node = g->create_node(op, ins, std::move(attrs), static_cast<uint32_t>(flags));
    node->set_inplace_input(static_cast<size_t>(written));
    if (n.has("requires_grad_inputs")) {
      std::vector<uint8_t> mask;
      for (const Json& m : n["requires_grad_inputs"].arr()) mask.push_back(m.i() ? 1 : 0);
      EMBER_CHECK(mask.size() <= ins.size(), "jit.load: corrupt file: node ", op, " marks ",
                  mask.size(), " inputs as requiring grad but has ", ins.size());
      node->set_requires_grad_inputs(std::move(mask));
    }
    for (const Json& o : n["outputs"].arr()) {
      bind(o["id"].i(), node->add_output(parse_shape(o["shape"]), parse_dtype(o["dtype"].s()),
                                         Device{}));
    }
  }
  for (const Json& o : j["outputs"].arr()) {
    auto it = vals.find(o.i());
    EMBER_CHECK(it != vals.end(), "jit.load: corrupt file: unknown output value ", o.i());
    g->add_output(it->second);
  }
  g->renumber();
  return g;
}

}  // namespace ember::jit
