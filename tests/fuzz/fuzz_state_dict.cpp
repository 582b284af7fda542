// libFuzzer target: any bytes given to the state-dict reader of `charnn import`
// (an .npz archive or a safetensors file) must either parse or raise
// charnn::Error; never crash, hang, or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "charnn/error.h"
#include "charnn/io/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    charnn::parse_state_dict(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const charnn::Error&) {
  }
  return 0;
}
