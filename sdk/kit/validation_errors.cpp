#include <atsmigrate/kit/validation_errors.hpp>

#include <boost/json/array.hpp>

namespace atsm::kit {
namespace json = boost::json;

void ValidationErrors::add(std::string field, std::string message) {
  entries_.emplace_back(std::move(field), std::move(message));
}

void ValidationErrors::write_to(json::object& extra) const {
  if (entries_.empty())
    return;
  json::array errors;
  for (const auto& [field, message] : entries_)
    errors.push_back(json::object{{"field", field}, {"message", message}});
  extra["validation_errors"] = std::move(errors);
}

std::size_t validation_error_count(const model::Record& record) {
  const json::value* errors = model::envelope(record).extra.if_contains("validation_errors");
  return errors != nullptr && errors->is_array() ? errors->as_array().size() : 0;
}

}  // namespace atsm::kit
