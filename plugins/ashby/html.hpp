// Note HTML for Ashby, which keeps only <b> <i> <u> <a> <ul> <ol> <li> <code> <pre> (ashby.md
// §5.1): plain text is escaped, source HTML is parsed (Gumbo) and rebuilt from that set only.
#pragma once

#include <string>
#include <string_view>

#include "model/html.hpp"

namespace atsm::ashby {

// Escapes & < > " ' so text shows as written; line breaks stay as they are.
using model::escape_html;

// Rebuilds `html` from the tags Ashby keeps. <strong>/<em> become <b>/<i>; <a> keeps only an
// http(s) href; script, style and similar elements are dropped with their content; every other
// element is replaced by its text, with a line break after block elements; every attribute but
// a safe href is dropped (no event handlers, no styles).
std::string sanitize_html(std::string_view html);

}  // namespace atsm::ashby
