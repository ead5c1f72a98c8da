#pragma once

#include <string>
#include <string_view>

namespace atsm::net {

// Standard base64 with padding (RFC 4648 section 4), through OpenSSL: HTTP Basic credentials and
// the forms a secret takes when a vendor quotes them back.
std::string base64_encode(std::string_view bytes);

}  // namespace atsm::net
