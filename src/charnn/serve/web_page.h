// The page `charnn serve` answers GET / with: one self-contained HTML document
// (inline style and script, nothing fetched from elsewhere) with a form for the
// prime, temperature, top-p, top-k, length and seed, a Generate button and the
// result. It talks to the server only through GET /v1/info and POST
// /v1/generate. A query string fills the form (?prime=The&seed=7), and
// generate=1 generates on load, which makes a result a link.
#pragma once

#include <string_view>

namespace charnn {

std::string_view web_page_html();

}  // namespace charnn
