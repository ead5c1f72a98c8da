// A connector's configuration keys, declared once as a table: the table produces the
// descriptor's config_keys_json (what `atsmigrate plugins info` shows, connector.h) and parses
// the config_json `open` receives into checked values. Unknown keys, wrong types, values out of
// range and missing required keys are atsm::sdk::Error(ATSM_INVALID) naming the connector and
// the key, as connector.h requires of `open`.
//
//   const kit::ConfigTable kConfig("lever", {
//       {.name = "page_size", .type = kit::integer(1, 100),
//        .description = "records per list page, 1 to 100", .fallback = 100},
//   });
//   .config_keys_json = kConfig.config_keys_json(),
//   kit::Config config = kConfig.parse(config_json);  int size = config.integer("page_size");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace atsm::kit {

// What a key holds: how its value is checked and the JSON type the descriptor declares.
struct KeyType {
  enum class Kind {
    text,             // any string ("string")
    http_url,         // a string starting http:// or https:// ("string")
    integer,          // a whole number in [min, max]; digits as text too ("integer")
    positive_number,  // a number > 0 ("number")
    choice,           // one of `choices` ("string")
    timestamp,        // ISO 8601 date-time with an offset, kept normalised to UTC "Z" ("string")
    string_list,      // a JSON array of strings or "a,b,c" ("array")
    boolean,          // true / false, or the text "true" / "false" ("boolean")
    numeric_id,       // a vendor's numeric id, as a JSON integer or digits ("string")
    json_object,      // any JSON object, checked by the connector ("object")
  };
  Kind kind = Kind::text;
  std::int64_t min = 0, max = 0;
  std::vector<std::string> choices;
  // The descriptor's type when not the kind's own (empty): an existing connector's declaration
  // kept as published, e.g. integer(2, 1048576).declared_as("number").
  std::string declared;

  KeyType declared_as(std::string type) const;
};

KeyType text();
KeyType http_url();
KeyType integer(std::int64_t min, std::int64_t max);
KeyType positive_number();
KeyType choice(std::vector<std::string> choices);
KeyType timestamp();
KeyType string_list();
KeyType boolean();
KeyType numeric_id();
KeyType json_object();

// The descriptor's JSON type of `type` ("string", "integer", "number", "array", ...).
const char* declared_type(const KeyType& type);

struct ConfigKey {
  std::string name;
  KeyType type;
  std::string description;
  boost::json::value fallback = nullptr;  // the default; null when the key has none
  bool required = false;
};

class Config;

class ConfigTable {
 public:
  // `connector` names the connector in every refusal ("lever config key 'page_size' ...").
  ConfigTable(std::string connector, std::vector<ConfigKey> keys);

  // The descriptor's config_keys_json (connector.h): [{"name","type","description","default",
  // "required"}], "default" left out when the key has none. Lives as long as the table.
  const char* config_keys_json() const { return keys_json_.c_str(); }

  // Checks `config_json` against the table; throws sdk::Error(ATSM_INVALID) naming the key.
  Config parse(std::string_view config_json) const;

  const std::string& connector() const { return connector_; }
  const std::vector<ConfigKey>& keys() const { return keys_; }

 private:
  std::string connector_;
  std::vector<ConfigKey> keys_;
  std::string keys_json_;
};

// A parsed configuration: every declared key's value, the given one or else its default, in the
// form its type names (an integer as int64, a timestamp normalised, a list as an array of
// strings, a numeric id as its digits). Asking for an undeclared key is ATSM_INTERNAL.
class Config {
 public:
  // True when the configuration named the key (a default does not count).
  bool given(std::string_view name) const;
  // The value, or nullopt when the key was not given and has no default.
  std::optional<std::string> optional_text(std::string_view name) const;
  // The value; "" when the key was not given and has no default.
  std::string text(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::vector<std::string> list(std::string_view name) const;
  // The value as checked JSON (null when absent without default).
  const boost::json::value& value(std::string_view name) const;

 private:
  friend class ConfigTable;
  const boost::json::value& declared(std::string_view name) const;
  std::string connector_;
  boost::json::object values_;  // declared key -> value (null: absent without default)
  std::vector<std::string> given_;
};

}  // namespace atsm::kit
