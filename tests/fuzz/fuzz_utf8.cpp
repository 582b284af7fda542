// libFuzzer target: the UTF-8 decoder accepts exactly what re-encodes to the
// same bytes, and rejects everything else with charnn::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "charnn/error.h"
#include "charnn/text/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const std::u32string text = charnn::utf8_decode(bytes, "fuzz");
    if (charnn::utf8_encode(text) != bytes) std::abort();  // decoding must be lossless
  } catch (const charnn::Error&) {
  }
  return 0;
}
