// SHA-256 digests (OpenSSL) as lowercase hex, for corpus checks and checkpoint checksums.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace charnn {

std::string sha256_hex(std::string_view bytes);

// The same digest over bytes that arrive in pieces (a corpus read piece by
// piece): update() each in order, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace charnn
