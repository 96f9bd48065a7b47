#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "ember/core/allocator.h"
#include "ember/core/device.h"
#include "ember/core/export.h"

namespace ember {

/// Counts in-place writes to a storage; shared by a tensor and all its views, so autograd can
/// tell when a tensor saved for backward was changed after it was saved.
struct VersionCounter {
  std::atomic<uint32_t> version{0};
};

/// A block of bytes on one device. Memory comes from the device allocator, or is borrowed
/// (numpy arrays, DLPack) with a deleter that gives it back.
class EMBER_API StorageImpl {
 public:
  StorageImpl(size_t nbytes, Device device);
  StorageImpl(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~StorageImpl();
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  /// The version counter of every tensor over this storage: a tensor, its views and its
  /// detached aliases all see each other's in-place writes, and a new tensor allocates nothing
  /// for it.
  VersionCounter* version_counter() const { return &version_; }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  std::function<void(void*)> deleter_;  // empty: memory came from cpu_alloc
  mutable VersionCounter version_;
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace ember
