// SHA-256 digests (OpenSSL) as lowercase hex, for corpus checks and checkpoint checksums.
#pragma once

#include <string>
#include <string_view>

namespace charnn {

std::string sha256_hex(std::string_view bytes);

}  // namespace charnn
