// SHA-256 through OpenSSL's EVP interface; see sha256.h.
#include "charnn/io/sha256.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "charnn/error.h"

namespace charnn {

namespace {

std::string to_hex(const unsigned char* digest, unsigned int length) {
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 computation failed (OpenSSL)");
  }
  return to_hex(digest, length);
}

struct Sha256::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 computation failed (OpenSSL)");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(context_->md, bytes.data(), bytes.size()) != 1) {
    throw Error("SHA-256 computation failed (OpenSSL)");
  }
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->md, digest, &length) != 1) throw Error("SHA-256 computation failed (OpenSSL)");
  return to_hex(digest, length);
}

}  // namespace charnn
