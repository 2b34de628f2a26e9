// rp's own failures: one line for the user, never a crash.
#pragma once
#include <stdexcept>
#include <string>

namespace rp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// errno text appended: "what: strerror(errno)"
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace rp
