// Text into HTML: the one escape every HTML the project writes uses (notes written to a target,
// report.html).
#pragma once

#include <string>
#include <string_view>

namespace atsm::model {

// Escapes & < > " ' so text shows as written; line breaks stay as they are.
std::string escape_html(std::string_view text);

}  // namespace atsm::model
