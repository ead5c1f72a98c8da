#include "services/net/headers.hpp"

#include <algorithm>
#include <cctype>

namespace atsm::net {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& field) { return iequals(field.first, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name))
      return value;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name))
      values.push_back(value);
  }
  return values;
}

}  // namespace atsm::net
