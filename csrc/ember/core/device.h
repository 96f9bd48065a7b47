#pragma once

#include <cstdint>
#include <string>

namespace ember {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };

/// Where a tensor's memory lives. Only `cpu` is built today; `cuda` is reserved (EMBER_CUDA).
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const {
    std::string s = type == DeviceType::CPU ? "cpu" : "cuda";
    if (index >= 0) s += ":" + std::to_string(index);
    return s;
  }
};

inline Device cpu_device() { return Device{}; }

}  // namespace ember
