// The CHARNN_* environment variables that tune the engine: a value charnn
// cannot read is ignored, and this says so, one line each on standard error,
// so a typo does not silently change nothing.
#pragma once

namespace charnn::cli {

void warn_about_unread_settings();

}  // namespace charnn::cli
