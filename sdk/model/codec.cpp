#include <atsmigrate/model/codec.hpp>

#include <array>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atsmigrate/model/email.hpp>
#include <atsmigrate/model/time.hpp>

namespace atsm::model {

namespace json = boost::json;

ModelError::ModelError(std::string record, std::string field, std::string reason)
    : std::runtime_error(field.empty() ? std::string(record) + ": " + std::string(reason)
                                       : std::string(record) + ": field '" + std::string(field) +
                                             "': " + std::string(reason)),
      record_(std::move(record)),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

std::string record_label(const Record& record) {
  const std::string& key = envelope(record).source_key;
  std::string label(to_string(kind_of(record)));
  if (!key.empty())
    label += ' ' + key;
  return label;
}

namespace {

// A problem with one field, before the record it belongs to is known to the message.
struct FieldError {
  std::string field;
  std::string reason;
};

// Validation and normalisation a string member needs beyond being a string.
enum class Check { none, non_empty, timestamp, date, partial_date, sha256 };

template <class T, class U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// What an error message shows of an offending value: short, and quoted when a string.
std::string describe(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::null:
      return "null";
    case json::kind::string: {
      const json::string& text = value.get_string();
      std::size_t shown = 60;
      if (text.size() <= shown)
        return json::serialize(value);
      // Cut before a UTF-8 continuation byte so the message stays valid UTF-8.
      while (shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0) == 0x80)
        --shown;
      return json::serialize(json::value(json::string_view(text.data(), shown))) + "...";
    }
    case json::kind::double_: {
      // The shortest text that reads back as the same double: 1.5, where serialize writes 1.5E0.
      char digits[32];
      const auto written = std::to_chars(digits, digits + sizeof digits, value.get_double());
      return std::string(digits, written.ptr);
    }
    default:
      return json::serialize(value);
  }
}

[[noreturn]] void fail(const std::string& path, std::string reason) {
  throw FieldError{path, std::move(reason)};
}

std::string checked(std::string value, Check check, const std::string& path) {
  switch (check) {
    case Check::none:
      return value;
    case Check::non_empty:
      if (value.empty())
        fail(path, "must not be empty");
      return value;
    case Check::timestamp: {
      auto normalized = normalize_timestamp(value);
      if (!normalized) {
        fail(path,
             "expected an ISO 8601 date-time with a UTC offset (e.g. "
             "\"2019-03-04T14:02:00Z\"), got " +
                 describe(json::value(value)));
      }
      return std::move(*normalized);
    }
    case Check::date:
      if (!is_valid_date(value)) {
        fail(path, "expected a date \"YYYY-MM-DD\", got " + describe(json::value(value)));
      }
      return value;
    case Check::partial_date:
      // "YYYY", "YYYY-MM" or a whole date, as precise as the source is.
      if (!is_valid_date(value.size() == 4   ? value + "-01-01"
                         : value.size() == 7 ? value + "-01"
                                             : value)) {
        fail(path, "expected a date \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", got " +
                       describe(json::value(value)));
      }
      return value;
    case Check::sha256: {
      const bool hex = value.find_first_not_of("0123456789abcdef") == std::string::npos;
      if (!value.empty() && (value.size() != 64 || !hex)) {
        fail(path,
             "expected 64 lower-case hex digits or \"\", got " + describe(json::value(value)));
      }
      return value;
    }
  }
  return value;
}

// ---- the members of each type, visited by Reader (decode) and Writer (encode) ----------------

template <class V, Is<CustomFieldValue> T>
void fields(V& v, T& x) {
  v("field_key", x.field_key, Check::non_empty);
  v("name", x.name);
  v("value", x.value);
}
template <class V, Is<CustomFieldOption> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("key", x.key);
}
template <class V, Is<Email> T>
void fields(V& v, T& x) {
  v("address", x.address);
  v("normalized", x.normalized);
  v("type", x.type);
}
template <class V, Is<Phone> T>
void fields(V& v, T& x) {
  v("number", x.number);
  v("type", x.type);
}
template <class V, Is<Link> T>
void fields(V& v, T& x) {
  v("url", x.url);
  v("type", x.type);
}
template <class V, Is<Address> T>
void fields(V& v, T& x) {
  v("value", x.value);
  v("type", x.type);
}
template <class V, Is<StageChange> T>
void fields(V& v, T& x) {
  v("stage_key", x.stage_key, Check::non_empty);
  v("entered_at", x.entered_at, Check::timestamp);
  v("by_user_key", x.by_user_key);
}
template <class V, Is<SourceRef> T>
void fields(V& v, T& x) {
  v("source_key", x.source_key);
  v("name", x.name);
}
template <class V, Is<RatingScale> T>
void fields(V& v, T& x) {
  v("values", x.values);
  v("min", x.min);
  v("max", x.max);
}
template <class V, Is<FeedbackField> T>
void fields(V& v, T& x) {
  v("label", x.label);
  v("type", x.type);
  v("value", x.value);
  v("scale", x.scale);
  v("note", x.note);
  v("category", x.category);
}
template <class V, Is<Interviewer> T>
void fields(V& v, T& x) {
  v("user_key", x.user_key);
  v("name", x.name);
}
template <class V, Is<OfferField> T>
void fields(V& v, T& x) {
  v("label", x.label);
  v("value", x.value);
}
template <class V, Is<Education> T>
void fields(V& v, T& x) {
  v("school", x.school);
  v("degree", x.degree);
  v("field_of_study", x.field_of_study);
  v("start", x.start, Check::partial_date);
  v("end", x.end, Check::partial_date);
}
template <class V, Is<Employment> T>
void fields(V& v, T& x) {
  v("company", x.company);
  v("title", x.title);
  v("start", x.start, Check::partial_date);
  v("end", x.end, Check::partial_date);
  v("current", x.current);
}
template <class V, Is<FormAnswer> T>
void fields(V& v, T& x) {
  v("form", x.form);
  v("question", x.question);
  v("answer", x.answer);
  v("file_keys", x.file_keys, Check::non_empty);
}

template <class V, Is<User> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("email", x.email);
  v("alternate_emails", x.alternate_emails);
  v("active", x.active);
  v("access_role", x.access_role);
}
template <class V, class T>
requires Is<T, Department> || Is<T, Office>
void fields(V& v, T& x) {
  v("name", x.name);
  v("parent_key", x.parent_key);
  v("location", x.location);
}
template <class V, Is<CustomField> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("object", x.object);
  v("field_type", x.field_type);
  v("options", x.options);
}
template <class V, Is<Job> T>
void fields(V& v, T& x) {
  v("title", x.title);
  v("status", x.status);
  v("confidential", x.confidential);
  v("department_keys", x.department_keys);
  v("office_keys", x.office_keys);
  v("location", x.location);
  v("team", x.team);
  v("owner_user_key", x.owner_user_key);
  v("hiring_manager_user_keys", x.hiring_manager_user_keys);
  v("requisition_code", x.requisition_code);
  v("created_at", x.created_at, Check::timestamp);
  v("updated_at", x.updated_at, Check::timestamp);
  v("custom_fields", x.custom_fields);
}
template <class V, Is<Stage> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("job_key", x.job_key);
  v("order", x.order);
  v("stage_type", x.stage_type);
}
template <class V, Is<ArchiveReason> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("type", x.type);
}
template <class V, Is<Source> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("type", x.type);
}
template <class V, Is<Tag> T>
void fields(V& v, T& x) {
  v("name", x.name);
}
template <class V, Is<Person> T>
void fields(V& v, T& x) {
  v("name", x.name);
  v("first_name", x.first_name);
  v("last_name", x.last_name);
  v("emails", x.emails);
  v("phones", x.phones);
  v("links", x.links);
  v("location", x.location);
  v("addresses", x.addresses);
  v("headline", x.headline);
  v("company", x.company);
  v("title", x.title);
  v("tags", x.tags);
  v("owner_user_key", x.owner_user_key);
  v("recruiter_user_key", x.recruiter_user_key);
  v("coordinator_user_key", x.coordinator_user_key);
  v("is_private", x.is_private);
  v("confidential", x.confidential);
  v("anonymized", x.anonymized);
  v("created_at", x.created_at, Check::timestamp);
  v("updated_at", x.updated_at, Check::timestamp);
  v("custom_fields", x.custom_fields);
  v("education", x.education);
  v("employment", x.employment);
  v("time_zone", x.time_zone);
  v("can_email", x.can_email);
}
template <class V, Is<Candidacy> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("job_key", x.job_key);
  v("status", x.status);
  v("stage_key", x.stage_key);
  v("archive_reason_key", x.archive_reason_key);
  v("archived_at", x.archived_at, Check::timestamp);
  v("stage_history", x.stage_history);
  v("sources", x.sources);
  v("credited_to_user_key", x.credited_to_user_key);
  v("owner_user_key", x.owner_user_key);
  v("created_at", x.created_at, Check::timestamp);
  v("updated_at", x.updated_at, Check::timestamp);
  v("applied_at", x.applied_at, Check::timestamp);
  v("is_prospect", x.is_prospect);
  v("confidential", x.confidential);
  v("tags", x.tags);
  v("custom_fields", x.custom_fields);
  v("form_answers", x.form_answers);
  v("cover_letter", x.cover_letter);
  v("prospect_pool", x.prospect_pool);
  v("prospect_pool_stage", x.prospect_pool_stage);
}
template <class V, Is<Note> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("candidacy_key", x.candidacy_key);
  v("author_user_key", x.author_user_key);
  v("author_name", x.author_name);
  v("body", x.body);
  v("body_format", x.body_format);
  v("created_at", x.created_at, Check::timestamp);
  v("is_private", x.is_private);
  v("deleted", x.deleted);
}
template <class V, Is<Feedback> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("candidacy_key", x.candidacy_key);
  v("author_user_key", x.author_user_key);
  v("author_name", x.author_name);
  v("interview_key", x.interview_key);
  v("form_name", x.form_name);
  v("submitted_at", x.submitted_at, Check::timestamp);
  v("recommendation", x.recommendation);
  v("fields", x.fields);
  v("text", x.text);
}
template <class V, Is<Interview> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("candidacy_key", x.candidacy_key);
  v("title", x.title);
  v("start_at", x.start_at, Check::timestamp);
  v("end_at", x.end_at, Check::timestamp);
  v("interviewers", x.interviewers);
  v("location", x.location);
  v("status", x.status);
  v("feedback_keys", x.feedback_keys);
}
template <class V, Is<Offer> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("candidacy_key", x.candidacy_key);
  v("status", x.status);
  v("created_at", x.created_at, Check::timestamp);
  v("sent_at", x.sent_at, Check::timestamp);
  v("resolved_at", x.resolved_at, Check::timestamp);
  v("start_date", x.start_date, Check::date);
  v("fields", x.fields);
  v("creator_user_key", x.creator_user_key);
}
template <class V, Is<File> T>
void fields(V& v, T& x) {
  v("person_key", x.person_key, Check::non_empty);
  v("candidacy_key", x.candidacy_key);
  v("file_name", x.file_name);
  v("content_type", x.content_type);
  v("size", x.size);
  v("sha256", x.sha256, Check::sha256);
  v("is_resume", x.is_resume);
  v("uploaded_at", x.uploaded_at, Check::timestamp);
  v("skipped_reason", x.skipped_reason);
  v("fetch_failure", x.fetch_failure);
}

// A nested member type (an object inside a record) rather than a record or a scalar.
template <class T>
concept Nested = ModelType<T> && !std::is_base_of_v<RecordBase, T> && !std::is_same_v<T, Record>;

// Derived state the codec owns: a given "normalized" is replaced by the address's own.
template <class T>
void after_decode(T&) {}
void after_decode(Email& email) {
  email.normalized = normalize_email(email.address);
}

// ---- decoding ----------------------------------------------------------------------------------

void decode(const json::value& in, std::string& out, const std::string& path, Check check);
void decode(const json::value& in, bool& out, const std::string& path, Check check);
void decode(const json::value& in, std::int64_t& out, const std::string& path, Check check);
void decode(const json::value& in, double& out, const std::string& path, Check check);
void decode(const json::value& in, json::value& out, const std::string& path, Check check);
template <ModelEnum E>
void decode(const json::value& in, E& out, const std::string& path, Check check);
template <class T>
void decode(const json::value& in, std::vector<T>& out, const std::string& path, Check check);
template <Nested T>
void decode(const json::value& in, T& out, const std::string& path, Check check);

class Reader {
 public:
  // `prefix` is prepended to member names in error paths ("emails[0].").
  Reader(const json::object& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  template <class F>
  void operator()(std::string_view name, F& out, Check check = Check::none) {
    known_.push_back(name);
    const json::value* member = object_.if_contains(name);
    const std::string path = prefix_ + std::string(name);
    if constexpr (IsOptional<F>::value) {
      out.reset();
      if (member)
        decode(*member, out.emplace(), path, check);
    } else if constexpr (IsVector<F>::value) {
      out.clear();
      if (member)
        decode(*member, out, path, check);
    } else {
      if (!member)
        fail(path, "required but missing");
      decode(*member, out, path, check);
    }
  }

  void mark_known(std::string_view name) { known_.push_back(name); }

  // The members no visit asked for: kept so a newer plugin's fields survive.
  json::object unknown_members() const {
    json::object extra;
    for (const auto& member : object_) {
      bool known = false;
      for (std::string_view name : known_)
        known = known || name == member.key();
      if (!known)
        extra.emplace(member.key(), member.value());
    }
    return extra;
  }

 private:
  const json::object& object_;
  std::string prefix_;
  std::vector<std::string_view> known_;
};

void decode(const json::value& in, std::string& out, const std::string& path, Check check) {
  if (!in.is_string())
    fail(path, "expected a string, got " + describe(in));
  out = checked(std::string(in.get_string()), check, path);
}

void decode(const json::value& in, bool& out, const std::string& path, Check) {
  if (!in.is_bool())
    fail(path, "expected true or false, got " + describe(in));
  out = in.get_bool();
}

void decode(const json::value& in, std::int64_t& out, const std::string& path, Check) {
  if (in.is_int64()) {
    out = in.get_int64();
    return;
  }
  if (in.is_uint64() && in.get_uint64() <= std::numeric_limits<std::int64_t>::max()) {
    out = static_cast<std::int64_t>(in.get_uint64());
    return;
  }
  // JavaScript-made plugins may write 1024.0; accept integral doubles within range.
  if (in.is_double()) {
    const double number = in.get_double();
    if (number == static_cast<double>(static_cast<std::int64_t>(number)) && number >= -9.2e18 &&
        number <= 9.2e18) {
      out = static_cast<std::int64_t>(number);
      return;
    }
  }
  fail(path, "expected an integer, got " + describe(in));
}

void decode(const json::value& in, double& out, const std::string& path, Check) {
  if (!in.is_number())
    fail(path, "expected a number, got " + describe(in));
  out = in.to_number<double>();
}

void decode(const json::value& in, json::value& out, const std::string&, Check) {
  out = in;
}

template <ModelEnum E>
void decode(const json::value& in, E& out, const std::string& path, Check) {
  const auto value = in.is_string() ? enum_from_string<E>(in.get_string()) : std::nullopt;
  if (!value)
    fail(path, "expected one of " + enum_choices<E>() + ", got " + describe(in));
  out = *value;
}

template <class T>
void decode(const json::value& in, std::vector<T>& out, const std::string& path, Check check) {
  if (!in.is_array())
    fail(path, "expected an array, got " + describe(in));
  const json::array& items = in.get_array();
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    decode(items[i], out.emplace_back(), std::string(path) + "[" + std::to_string(i) + "]", check);
  }
}

template <Nested T>
void decode(const json::value& in, T& out, const std::string& path, Check) {
  if (!in.is_object())
    fail(path, "expected an object, got " + describe(in));
  Reader reader(in.get_object(), path.empty() ? path : path + ".");
  fields(reader, out);
  out.extra = reader.unknown_members();
  after_decode(out);
}

template <class T>
T decode_record(const json::object& object) {
  T record;
  Reader reader(object, "");
  reader.mark_known("kind");
  reader("source", record.source, Check::non_empty);
  reader("source_key", record.source_key, Check::non_empty);
  fields(reader, record);
  reader("raw", record.raw);
  record.extra = reader.unknown_members();
  return record;
}

using RecordDecoder = Record (*)(const json::object&);

template <std::size_t... I>
constexpr std::array<RecordDecoder, sizeof...(I)> make_decoders(std::index_sequence<I...>) {
  return {[](const json::object& object) -> Record {
    return decode_record<std::variant_alternative_t<I, Record>>(object);
  }...};
}

constexpr auto kDecoders = make_decoders(std::make_index_sequence<kKindCount>());

// `position` prefixes the record's label in errors ("records[4]: ").
Record decode_any_record(const json::value& json, const std::string& position) {
  if (!json.is_object()) {
    throw ModelError(position + "record", "", "expected a JSON object, got " + describe(json));
  }
  const json::object& object = json.get_object();
  std::string key;
  if (const auto* source_key = object.if_contains("source_key");
      source_key && source_key->is_string()) {
    key = source_key->get_string();
  }
  const auto* kind_member = object.if_contains("kind");
  std::optional<Kind> kind;
  if (kind_member && kind_member->is_string())
    kind = kind_from_string(kind_member->get_string());
  std::string label = position + (kind ? std::string(to_string(*kind)) : std::string("record"));
  if (!key.empty())
    label += ' ' + key;
  if (!kind_member)
    throw ModelError(label, "kind", "required but missing");
  if (!kind) {
    throw ModelError(label, "kind",
                     "expected one of " + enum_choices<Kind>() + ", got " + describe(*kind_member));
  }
  try {
    return kDecoders[static_cast<std::size_t>(*kind)](object);
  } catch (const FieldError& error) {
    throw ModelError(label, error.field, error.reason);
  }
}

json::value parse_json(std::string_view text, const char* what) {
  boost::system::error_code error;
  json::value value = json::parse(json::string_view(text.data(), text.size()), error);
  if (error)
    throw ModelError(what, "", "invalid JSON: " + error.message());
  return value;
}

// ---- encoding ----------------------------------------------------------------------------------

json::value encode(const std::string& value, const std::string& path, Check check) {
  return json::value(checked(value, check, path));
}
json::value encode(bool value, const std::string&, Check) {
  return json::value(value);
}
json::value encode(std::int64_t value, const std::string&, Check) {
  return json::value(value);
}
json::value encode(double value, const std::string&, Check) {
  // Whole numbers are written as integers: 4 rather than Boost's 4E0.
  if (value >= -9.0e15 && value <= 9.0e15 &&
      value == static_cast<double>(static_cast<std::int64_t>(value))) {
    return json::value(static_cast<std::int64_t>(value));
  }
  return json::value(value);
}
json::value encode(const json::value& value, const std::string&, Check) {
  return value;
}
template <ModelEnum E>
json::value encode(E value, const std::string& path, Check) {
  const auto index = static_cast<std::size_t>(value);
  if (index >= EnumTraits<E>::names.size()) {
    fail(path, "enum value " + std::to_string(index) + " is not one of " + enum_choices<E>());
  }
  return json::value(json::string_view(to_string(value).data(), to_string(value).size()));
}
template <class T>
json::value encode(const std::vector<T>& values, const std::string& path, Check check);
template <Nested T>
json::value encode(const T& value, const std::string& path, Check check);

class Writer {
 public:
  Writer(json::object& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  template <class F>
  void operator()(std::string_view name, const F& value, Check check = Check::none) {
    const json::string_view key(name.data(), name.size());
    if constexpr (IsOptional<F>::value) {
      if (value)
        object_[key] = encode(*value, prefix_ + std::string(name), check);
    } else if constexpr (IsVector<F>::value) {
      if (!value.empty())
        object_[key] = encode(value, prefix_ + std::string(name), check);
    } else {
      object_[key] = encode(value, prefix_ + std::string(name), check);
    }
  }

  // Unknown members go after the known ones and never replace one.
  void unknown_members(const json::object& extra) {
    for (const auto& member : extra)
      object_.emplace(member.key(), member.value());
  }

 private:
  json::object& object_;
  std::string prefix_;
};

template <class T>
json::value encode(const std::vector<T>& values, const std::string& path, Check check) {
  json::array items;
  items.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    items.push_back(encode(values[i], std::string(path) + "[" + std::to_string(i) + "]", check));
  }
  return items;
}

template <Nested T>
json::value encode(const T& value, const std::string& path, Check) {
  json::object object;
  Writer writer(object, path.empty() ? path : path + ".");
  if constexpr (std::is_same_v<T, Email>) {
    // "normalized" is derived: written from the address, whatever the struct holds.
    Email derived = value;
    after_decode(derived);
    fields(writer, std::as_const(derived));
  } else {
    fields(writer, value);
  }
  writer.unknown_members(value.extra);
  return object;
}

template <class T>
json::value encode_record(const T& record) {
  json::object object;
  Writer writer(object, "");
  object["kind"] =
      json::string_view(to_string(kind_of_type<T>).data(), to_string(kind_of_type<T>).size());
  writer("source", record.source, Check::non_empty);
  writer("source_key", record.source_key, Check::non_empty);
  fields(writer, record);
  writer.unknown_members(record.extra);
  writer("raw", record.raw);
  return object;
}

json::value encode_any_record(const Record& record) {
  try {
    return std::visit([](const auto& typed) { return encode_record(typed); }, record);
  } catch (const FieldError& error) {
    throw ModelError(record_label(record), error.field, error.reason);
  }
}

// How errors name a nested value decoded on its own through value_to.
template <class T>
constexpr const char* nested_label() {
  if constexpr (std::is_same_v<T, CustomFieldValue>)
    return "custom field value";
  if constexpr (std::is_same_v<T, CustomFieldOption>)
    return "custom field option";
  if constexpr (std::is_same_v<T, Email>)
    return "email";
  if constexpr (std::is_same_v<T, Phone>)
    return "phone";
  if constexpr (std::is_same_v<T, Link>)
    return "link";
  if constexpr (std::is_same_v<T, Address>)
    return "address";
  if constexpr (std::is_same_v<T, StageChange>)
    return "stage change";
  if constexpr (std::is_same_v<T, SourceRef>)
    return "source reference";
  if constexpr (std::is_same_v<T, RatingScale>)
    return "rating scale";
  if constexpr (std::is_same_v<T, FeedbackField>)
    return "feedback field";
  if constexpr (std::is_same_v<T, Interviewer>)
    return "interviewer";
  if constexpr (std::is_same_v<T, OfferField>)
    return "offer field";
  if constexpr (std::is_same_v<T, Education>)
    return "education";
  if constexpr (std::is_same_v<T, Employment>)
    return "employment";
  if constexpr (std::is_same_v<T, FormAnswer>)
    return "form answer";
  return "value";
}

}  // namespace

Record record_from_json(const json::value& json) {
  return decode_any_record(json, "");
}

Record parse_record(std::string_view json) {
  return record_from_json(parse_json(json, "record"));
}

json::value record_to_json(const Record& record) {
  return encode_any_record(record);
}

std::string serialize_record(const Record& record) {
  return json::serialize(record_to_json(record));
}

std::vector<Record> records_from_json(const json::value& json_array) {
  if (!json_array.is_array()) {
    throw ModelError("records", "", "expected a JSON array, got " + describe(json_array));
  }
  std::vector<Record> records;
  records.reserve(json_array.get_array().size());
  std::size_t index = 0;
  for (const json::value& item : json_array.get_array()) {
    records.push_back(decode_any_record(item, "records[" + std::to_string(index++) + "]: "));
  }
  return records;
}

std::vector<Record> parse_records(std::string_view json_array) {
  return records_from_json(parse_json(json_array, "records"));
}

std::string serialize_records(std::span<const Record> records) {
  json::array items;
  items.reserve(records.size());
  for (const Record& record : records)
    items.push_back(record_to_json(record));
  return json::serialize(items);
}

template <ModelType T>
void tag_invoke(const json::value_from_tag&, json::value& json, const T& model) {
  if constexpr (std::is_same_v<T, Record>) {
    json = record_to_json(model);
  } else if constexpr (std::is_base_of_v<RecordBase, T>) {
    json = record_to_json(Record(model));
  } else {
    try {
      json = encode(model, "", Check::none);
    } catch (const FieldError& error) {
      throw ModelError(nested_label<T>(), error.field, error.reason);
    }
  }
}

template <ModelType T>
T tag_invoke(const json::value_to_tag<T>&, const json::value& json) {
  if constexpr (std::is_same_v<T, Record>) {
    return record_from_json(json);
  } else if constexpr (std::is_base_of_v<RecordBase, T>) {
    Record record = record_from_json(json);
    if (T* typed = std::get_if<T>(&record))
      return std::move(*typed);
    throw ModelError(record_label(record), "kind",
                     "expected \"" + std::string(to_string(kind_of_type<T>)) + "\", got \"" +
                         std::string(to_string(kind_of(record))) + "\"");
  } else {
    T value;
    try {
      decode(json, value, "", Check::none);
    } catch (const FieldError& error) {
      throw ModelError(nested_label<T>(), error.field, error.reason);
    }
    return value;
  }
}

#define ATSM_MODEL_INSTANTIATE_CONVERSIONS(T)                                       \
  template void tag_invoke<T>(const json::value_from_tag&, json::value&, const T&); \
  template T tag_invoke<T>(const json::value_to_tag<T>&, const json::value&);

ATSM_MODEL_INSTANTIATE_CONVERSIONS(Record)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(User)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Department)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Office)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(CustomField)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Job)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Stage)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(ArchiveReason)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Source)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Tag)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Person)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Candidacy)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Note)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Feedback)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Interview)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Offer)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(File)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(CustomFieldValue)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(CustomFieldOption)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Email)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Phone)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Link)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Address)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(StageChange)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(SourceRef)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(RatingScale)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(FeedbackField)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Interviewer)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(OfferField)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Education)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(Employment)
ATSM_MODEL_INSTANTIATE_CONVERSIONS(FormAnswer)

#undef ATSM_MODEL_INSTANTIATE_CONVERSIONS

}  // namespace atsm::model
