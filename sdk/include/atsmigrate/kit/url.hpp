// Percent-encoding (RFC 3986 §2.1) of one path segment or one query name or value.
#pragma once

#include <string>
#include <string_view>

namespace atsm::kit {

// Keeps the unreserved characters (RFC 3986 §2.3: ALPHA, DIGIT, "-", ".", "_", "~") and the
// characters of `also_keep` (for a vendor that wants a delimiter such as "," as is) and encodes
// every other octet as "%" and two uppercase hex digits (§2.1), UTF-8 byte by byte. A space is
// "%20", never "+".
std::string url_encode(std::string_view text, std::string_view also_keep = {});

}  // namespace atsm::kit
