// The one error type the library throws. Its message is written for the user:
// it says what went wrong and, where possible, what to do. The CLI prints it on
// one line and exits 1. Programmer invariants use assert instead.
#pragma once

#include <stdexcept>
#include <string>

namespace charnn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace charnn
