// A growable byte buffer for the raw ring records a kernel capture holds
// until its writer decodes them (record/kernel_capture.cc). Its own mapping,
// reused once emptied (clear() keeps it): fresh pages cost the drain thread a
// page fault per 4 KiB, its largest cost with std::string buffers
// (docs/performance.md). (Transparent huge pages were tried: zeroing them cost
// more than the faults they saved.)
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

namespace rp {

class RawChunk {
 public:
  static constexpr size_t kInitial = size_t{4} << 20;
  RawChunk() = default;
  RawChunk(RawChunk&& o) noexcept { swap(o); }
  RawChunk& operator=(RawChunk&& o) noexcept {
    RawChunk tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~RawChunk() {
    if (data_) munmap(data_, cap_);
  }
  void append(const void* bytes, size_t n) {
    if (size_ + n > cap_) grow(size_ + n);
    std::memcpy(data_ + size_, bytes, n);
    size_ += n;
  }
  // n more bytes at the end, for the caller to fill (a read into the chunk).
  char* extend(size_t n) {
    if (size_ + n > cap_) grow(size_ + n);
    size_ += n;
    return data_ + size_ - n;
  }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }  // keeps the memory (and its mapped pages)
  void drop_front(size_t n) {
    std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }

 private:
  void swap(RawChunk& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }
  void grow(size_t need) {
    size_t cap = cap_ ? cap_ : kInitial;
    while (cap < need) cap *= 2;
    void* p = data_ ? mremap(data_, cap_, cap, MREMAP_MAYMOVE)
                    : mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    cap_ = cap;
  }
  char* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

}  // namespace rp
