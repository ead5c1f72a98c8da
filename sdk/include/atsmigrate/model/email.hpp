// Email normalisation used to deduplicate persons.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace atsm::model {

// The dedup form of an email address: surrounding ASCII whitespace trimmed and ASCII letters
// lower-cased, nothing else (no provider-specific rewriting such as dropping dots or "+tags").
// nullopt when the trimmed address is not an email: not exactly one '@', or an empty local
// part or domain. Such an address is kept on its person but never merges it with another.
std::optional<std::string> normalize_email(std::string_view address);

}  // namespace atsm::model
