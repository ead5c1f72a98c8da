// Record: one canonical record of any kind.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <variant>

#include <atsmigrate/model/kind.hpp>
#include <atsmigrate/model/types.hpp>

namespace atsm::model {

// Alternatives are in Kind's order, so a record's index() is its Kind. Use std::get_if /
// std::visit for the payload, envelope() for the members every kind shares.
using Record = std::variant<User, Department, Office, CustomField, Job, Stage, ArchiveReason,
                            Source, Tag, Person, Candidacy, Note, Feedback, Interview, Offer, File>;

static_assert(std::variant_size_v<Record> == kKindCount);

// The C++ type of kind K: RecordType<Kind::candidacy> is Candidacy.
template <Kind K>
using RecordType = std::variant_alternative_t<static_cast<std::size_t>(K), Record>;

namespace detail {
template <class T, class Variant>
struct AlternativeIndex;
template <class T, class... Alternatives>
struct AlternativeIndex<T, std::variant<Alternatives...>> {
  static constexpr std::size_t value = [] {
    constexpr bool matches[] = {std::is_same_v<T, Alternatives>...};
    std::size_t index = 0;
    while (index < sizeof...(Alternatives) && !matches[index])
      ++index;
    return index;
  }();
  static_assert(value < sizeof...(Alternatives), "not a record type");
};
}  // namespace detail

// The Kind of record type T: kind_of_type<Candidacy> == Kind::candidacy.
template <class T>
inline constexpr Kind kind_of_type = static_cast<Kind>(detail::AlternativeIndex<T, Record>::value);

inline Kind kind_of(const Record& record) {
  return static_cast<Kind>(record.index());
}

inline const RecordBase& envelope(const Record& record) {
  return std::visit([](const RecordBase& base) -> const RecordBase& { return base; }, record);
}
inline RecordBase& envelope(Record& record) {
  return std::visit([](RecordBase& base) -> RecordBase& { return base; }, record);
}

// "candidacy lever:opportunity:123": how errors and logs name a record.
std::string record_label(const Record& record);

}  // namespace atsm::model
