// SHA-256 through OpenSSL's EVP interface; see sha256.h.
#include "charnn/io/sha256.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 computation failed (OpenSSL)");
  }
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace charnn
