// Record kinds: names and the dependency order in which they are extracted and loaded.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include <atsmigrate/model/enums.hpp>

namespace atsm::model {

inline constexpr std::size_t kKindCount = EnumTraits<Kind>::names.size();

// Every kind in dependency order (users, departments, offices, custom fields, jobs, stages,
// archive reasons, sources, tags, persons, candidacies, notes, feedback, interviews, offers,
// files): a kind is loaded only after every kind it refers to.
inline constexpr std::array<Kind, kKindCount> kKindsInDependencyOrder = [] {
  std::array<Kind, kKindCount> kinds{};
  for (std::size_t i = 0; i < kKindCount; ++i)
    kinds[i] = static_cast<Kind>(i);
  return kinds;
}();

// Position of `kind` in kKindsInDependencyOrder; sorting by it gives load order.
constexpr std::size_t dependency_rank(Kind kind) {
  return static_cast<std::size_t>(kind);
}

// "archive_reason" -> Kind::archive_reason; nullopt for an unknown name.
constexpr std::optional<Kind> kind_from_string(std::string_view name) {
  return enum_from_string<Kind>(name);
}

}  // namespace atsm::model
