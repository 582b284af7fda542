// libFuzzer target: any bytes given to the checkpoint reader must either load
// or raise charnn::Error; never crash, hang, or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "charnn/error.h"
#include "charnn/io/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    charnn::parse_checkpoint(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const charnn::Error&) {
  }
  return 0;
}
