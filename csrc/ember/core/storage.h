#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "ember/core/allocator.h"
#include "ember/core/device.h"
#include "ember/core/export.h"

namespace ember {

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

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  std::function<void(void*)> deleter_;  // empty: memory came from cpu_alloc
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace ember
