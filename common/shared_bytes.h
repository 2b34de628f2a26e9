// The bytes of a memory record (MemRecord::bytes). Copies share one buffer:
// the trace reader's blob cache and every event that holds the same blob (a
// program that reads one file again and again) refer to it instead of copying
// it (replay of 64 KiB reads spent ~8 % of its CPU in that copy and as much
// in the page faults of the fresh buffers). A change to shared bytes copies
// them first. Read like a const std::string.
#pragma once
#include <memory>
#include <string>

namespace rp {

class SharedBytes {
 public:
  SharedBytes() = default;
  SharedBytes(std::string s) : p_(std::make_shared<std::string>(std::move(s))) {}
  SharedBytes(const char* s) : SharedBytes(std::string(s)) {}

  const std::string& str() const { return p_ ? *p_ : empty_string(); }
  operator const std::string&() const { return str(); }
  size_t size() const { return str().size(); }
  bool empty() const { return str().empty(); }
  const char* data() const { return str().data(); }
  const char* c_str() const { return str().c_str(); }
  char operator[](size_t i) const { return str()[i]; }
  std::string substr(size_t pos, size_t n = std::string::npos) const { return str().substr(pos, n); }

  // The bytes to change, this record's alone (copied first if shared).
  std::string& mut() {
    if (!p_ || p_.use_count() > 1) p_ = std::make_shared<std::string>(str());
    return *p_;
  }
  void append(const char* d, size_t n) { mut().append(d, n); }

  friend bool operator==(const SharedBytes& a, const SharedBytes& b) { return a.str() == b.str(); }

 private:
  static const std::string& empty_string() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<std::string> p_;
};

}  // namespace rp
