#pragma once
// HTTP header list with case-insensitive lookup (RFC 9110: field names are case-insensitive).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atsm::net {

bool iequals(std::string_view a, std::string_view b) noexcept;

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field; repeated names are kept in order (e.g. Set-Cookie).
  void add(std::string name, std::string value);
  // Replaces every field of that name with one field.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  void clear() noexcept { fields_.clear(); }

  // First value of the field, any capitalisation of its name.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  std::vector<std::string> get_all(std::string_view name) const;

  const std::vector<Field>& fields() const noexcept { return fields_; }
  bool empty() const noexcept { return fields_.empty(); }
  std::size_t size() const noexcept { return fields_.size(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace atsm::net
