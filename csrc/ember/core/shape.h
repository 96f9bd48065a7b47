#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <stdexcept>
#include <vector>

namespace ember {

/// Sizes or strides of a tensor: a vector of int64 that keeps up to kInline values inside the
/// object, so making a tensor of up to 6 dims allocates no memory for its shape (std::vector
/// made two allocations per tensor, a large share of a small op's cost). Longer shapes move to
/// the heap. The interface is std::vector's, and it converts to and from std::vector<int64_t>.
class Shape {
 public:
  static constexpr size_t kInline = 6;
  using value_type = int64_t;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = int64_t&;
  using const_reference = const int64_t&;
  using pointer = int64_t*;
  using const_pointer = const int64_t*;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  Shape() noexcept = default;
  explicit Shape(size_t n, int64_t value = 0) { assign(n, value); }
  Shape(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  Shape(It first, It last) {
    assign(first, last);
  }
  Shape(const std::vector<int64_t>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit
  Shape(const Shape& other) { assign(other.begin(), other.end()); }
  Shape(Shape&& other) noexcept { steal(other); }
  ~Shape() { release(); }

  Shape& operator=(const Shape& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  Shape& operator=(Shape&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  Shape& operator=(std::initializer_list<int64_t> values) {
    assign(values.begin(), values.end());
    return *this;
  }
  operator std::vector<int64_t>() const { return std::vector<int64_t>(begin(), end()); }  // NOLINT

  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  size_t capacity() const noexcept { return heap_ != nullptr ? cap_ : kInline; }
  int64_t* data() noexcept { return heap_ != nullptr ? heap_ : inline_; }
  const int64_t* data() const noexcept { return heap_ != nullptr ? heap_ : inline_; }

  int64_t& operator[](size_t i) noexcept { return data()[i]; }
  const int64_t& operator[](size_t i) const noexcept { return data()[i]; }
  int64_t& at(size_t i) {
    if (i >= size_) throw std::out_of_range("Shape::at: index out of range");
    return data()[i];
  }
  const int64_t& at(size_t i) const {
    if (i >= size_) throw std::out_of_range("Shape::at: index out of range");
    return data()[i];
  }
  int64_t& front() noexcept { return data()[0]; }
  const int64_t& front() const noexcept { return data()[0]; }
  int64_t& back() noexcept { return data()[size_ - 1]; }
  const int64_t& back() const noexcept { return data()[size_ - 1]; }

  iterator begin() noexcept { return data(); }
  iterator end() noexcept { return data() + size_; }
  const_iterator begin() const noexcept { return data(); }
  const_iterator end() const noexcept { return data() + size_; }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }
  reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
  reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
  const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

  void reserve(size_t n) {
    if (n > capacity()) grow_to(n);
  }
  void clear() noexcept { size_ = 0; }
  void resize(size_t n, int64_t value = 0) {
    reserve(n);
    if (n > size_) std::fill(data() + size_, data() + n, value);
    size_ = static_cast<uint32_t>(n);
  }
  void push_back(int64_t v) {
    if (size_ == capacity()) grow_to(size_ + 1);
    data()[size_++] = v;
  }
  void emplace_back(int64_t v) { push_back(v); }
  void pop_back() noexcept { --size_; }

  void assign(size_t n, int64_t value) {
    size_ = 0;
    reserve(n);
    std::fill(data(), data() + n, value);
    size_ = static_cast<uint32_t>(n);
  }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  void assign(It first, It last) {
    // Copied through a temporary when the range may alias this shape's own values.
    const auto n = static_cast<size_t>(std::distance(first, last));
    if (n > capacity()) {
      Shape tmp;
      tmp.grow_to(n);
      std::copy(first, last, tmp.data());
      tmp.size_ = static_cast<uint32_t>(n);
      *this = std::move(tmp);
      return;
    }
    int64_t* out = data();
    for (size_t i = 0; i < n; ++i, ++first) out[i] = static_cast<int64_t>(*first);
    size_ = static_cast<uint32_t>(n);
  }
  void assign(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }

  iterator insert(const_iterator pos, int64_t v) { return insert(pos, size_t{1}, v); }
  iterator insert(const_iterator pos, size_t n, int64_t v) {
    const size_t at = static_cast<size_t>(pos - begin());
    reserve(size_ + n);
    int64_t* d = data();
    std::move_backward(d + at, d + size_, d + size_ + n);
    std::fill(d + at, d + at + n, v);
    size_ += static_cast<uint32_t>(n);
    return d + at;
  }
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  iterator insert(const_iterator pos, It first, It last) {
    const size_t at = static_cast<size_t>(pos - begin());
    const Shape values(first, last);  // the range may point into this shape
    const size_t n = values.size();
    reserve(size_ + n);
    int64_t* d = data();
    std::move_backward(d + at, d + size_, d + size_ + n);
    std::copy(values.begin(), values.end(), d + at);
    size_ += static_cast<uint32_t>(n);
    return d + at;
  }
  iterator insert(const_iterator pos, std::initializer_list<int64_t> values) {
    return insert(pos, values.begin(), values.end());
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    int64_t* d = data();
    const size_t a = static_cast<size_t>(first - d);
    const size_t b = static_cast<size_t>(last - d);
    std::move(d + b, d + size_, d + a);
    size_ -= static_cast<uint32_t>(b - a);
    return d + a;
  }
  void swap(Shape& other) noexcept {
    Shape tmp(std::move(other));
    other = std::move(*this);
    *this = std::move(tmp);
  }

  friend bool operator==(const Shape& a, const Shape& b) noexcept {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }
  friend bool operator<(const Shape& a, const Shape& b) noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const Shape& a, const std::vector<int64_t>& b) noexcept {
    return a.size_ == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const std::vector<int64_t>& a, const Shape& b) noexcept { return b == a; }
  friend bool operator!=(const Shape& a, const std::vector<int64_t>& b) noexcept { return !(a == b); }
  friend bool operator!=(const std::vector<int64_t>& a, const Shape& b) noexcept { return !(b == a); }

 private:
  void grow_to(size_t n) {
    const size_t cap = std::max(n, 2 * capacity());
    auto* p = static_cast<int64_t*>(std::malloc(cap * sizeof(int64_t)));
    if (p == nullptr) throw std::bad_alloc();
    if (size_ > 0) std::memcpy(p, data(), size_ * sizeof(int64_t));
    std::free(heap_);
    heap_ = p;
    cap_ = static_cast<uint32_t>(cap);
  }
  void release() noexcept {
    std::free(heap_);
    heap_ = nullptr;
    size_ = 0;
  }
  // Takes other's values; other is left empty (and inline).
  void steal(Shape& other) noexcept {
    size_ = other.size_;
    if (other.heap_ != nullptr) {
      heap_ = other.heap_;
      cap_ = other.cap_;
      other.heap_ = nullptr;
    } else if (size_ > 0) {
      std::memcpy(inline_, other.inline_, size_ * sizeof(int64_t));
    }
    other.size_ = 0;
  }

  int64_t* heap_ = nullptr;  // null: the values are in inline_
  uint32_t size_ = 0;
  uint32_t cap_ = 0;  // capacity of heap_
  int64_t inline_[kInline];
};

}  // namespace ember
