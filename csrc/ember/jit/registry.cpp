#include "ember/jit/registry.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace ember::jit {

namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<std::string, std::unique_ptr<OpInfo>> ops;
};

// Function-local so registrations from any translation unit's static initializers find it built.
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_op(OpInfo info) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::string name = info.name;
  EMBER_CHECK(!r.ops.count(name), "jit: op ", name, " is registered twice");
  r.ops.emplace(name, std::make_unique<OpInfo>(std::move(info)));
}

const OpInfo* find_op(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.ops.find(name);
  return it == r.ops.end() ? nullptr : it->second.get();
}

std::vector<std::string> registered_ops() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [k, v] : r.ops) names.push_back(k);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ember::jit
