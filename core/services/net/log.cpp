#include "services/net/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "services/net/base64.hpp"

namespace atsm::net {
namespace {

void replace_all(std::string& text, std::string_view needle, std::string_view replacement) {
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), replacement);
    pos += replacement.size();
  }
}

void insert_longest_first(std::vector<std::string>& list, std::string_view value) {
  if (std::find(list.begin(), list.end(), value) != list.end())
    return;
  const auto position = std::find_if(list.begin(), list.end(), [&](const std::string& existing) {
    return existing.size() < value.size();
  });
  list.emplace(position, value);
}

// The forms a secret takes in text other than its own: in a URL (percent-encoded) and in JSON
// that escapes '/' (a vendor echoing a request).
std::vector<std::string> encoded_forms(std::string_view value) {
  static const char* const hex = "0123456789ABCDEF";
  std::string percent;
  std::string json_escaped;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || std::strchr("-_.~", c) != nullptr) {
      percent.push_back(c);
    } else {
      percent.push_back('%');
      percent.push_back(hex[byte >> 4]);
      percent.push_back(hex[byte & 0xf]);
    }
    if (c == '/')
      json_escaped.push_back('\\');
    json_escaped.push_back(c);
  }
  std::vector<std::string> forms;
  for (std::string* form : {&percent, &json_escaped}) {
    if (*form != value)
      forms.push_back(std::move(*form));
  }
  return forms;
}

constexpr std::size_t kMinBase64Fragment = 12;

bool is_base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' ||
         c == '_';
}

// What a secret looks like inside any base64 text that carries it (`Basic base64(key:)`,
// `base64(client_id:client_secret)`, URL-safe or not): for each of the three byte alignments the
// secret can start at, the run of characters that encode its bytes alone, whatever surrounds it.
std::vector<std::string> base64_fragments(std::string_view secret) {
  std::vector<std::string> fragments;
  for (std::size_t offset = 0; offset < 3; ++offset) {
    std::string padded(offset, '\0');
    padded.append(secret);
    const std::string encoded = base64_encode(padded);
    const std::size_t first = (8 * offset + 5) / 6;             // first char of secret bits only
    const std::size_t last = 8 * (offset + secret.size()) / 6;  // one past the last such char
    if (last <= first)
      continue;
    // A short fragment would match ordinary words and ids in vendor data, which this redaction
    // also cleans: such a secret is still caught as itself and as a whole Basic token.
    if (last - first < kMinBase64Fragment)
      continue;
    std::string standard = encoded.substr(first, last - first);
    std::string url_safe = standard;
    std::replace(url_safe.begin(), url_safe.end(), '+', '-');
    std::replace(url_safe.begin(), url_safe.end(), '/', '_');
    fragments.push_back(std::move(standard));
    if (url_safe != fragments.back())
      fragments.push_back(std::move(url_safe));
  }
  return fragments;
}

// Masks every run of base64 characters (with its padding) that holds one of `fragments`.
std::string mask_encoded_secrets(std::string_view text, const std::vector<std::string>& fragments) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;  // [begin, end) to mask
  for (const std::string& fragment : fragments) {
    for (std::size_t at = text.find(fragment); at != std::string_view::npos;
         at = text.find(fragment, at + 1)) {
      std::size_t begin = at;
      while (begin > 0 && is_base64_char(text[begin - 1]))
        --begin;
      std::size_t end = at + fragment.size();
      while (end < text.size() && is_base64_char(text[end]))
        ++end;
      while (end < text.size() && text[end] == '=')
        ++end;
      runs.emplace_back(begin, end);
    }
  }
  if (runs.empty())
    return std::string(text);
  std::sort(runs.begin(), runs.end());
  std::string out;
  out.reserve(text.size());
  std::size_t done = 0;
  for (const auto& [begin, end] : runs) {
    if (end <= done)
      continue;
    out.append(text.substr(done, begin > done ? begin - done : 0));
    out.append(kRedacted);
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._~+/=-", c) != nullptr;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Case-insensitive match of `word` at `pos`, starting at a word boundary.
bool word_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size())
    return false;
  if (pos > 0 && is_word_char(text[pos - 1]))
    return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[pos + k])) != word[k])
      return false;
  }
  return true;
}

// Header-shaped credentials are masked even when their value was never registered (e.g. a token
// a vendor returned that no one told the Redactor about): `Authorization: ...` or
// `authorization=...` (optionally `"Authorization":`) loses the rest of its line. Hand-written
// scanners rather than std::regex: libstdc++'s regex recurses per character and overflows the
// stack on long lines such as a logged response body.
std::string mask_authorization(std::string_view text) {
  constexpr std::string_view kWord = "authorization";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (word_at(text, i, kWord)) {
      std::size_t j = i + kWord.size();
      if (j < text.size() && text[j] == '"')
        ++j;
      while (j < text.size() && is_blank(text[j]))
        ++j;
      if (j < text.size() && (text[j] == ':' || text[j] == '=')) {
        ++j;
        while (j < text.size() && is_blank(text[j]))
          ++j;
        out.append(text.substr(i, j - i));
        out.append(kRedacted);
        const auto line_end = text.find_first_of("\r\n", j);
        i = line_end == std::string_view::npos ? text.size() : line_end;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

// `Basic <token>` / `Bearer <token>` with a token of 8+ token characters, so prose such as
// "basic info" stays.
std::string mask_scheme_tokens(std::string_view text) {
  constexpr std::size_t kMinTokenLength = 8;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t scheme_length = 0;
    if (word_at(text, i, "basic"))
      scheme_length = 5;
    if (word_at(text, i, "bearer"))
      scheme_length = 6;
    if (scheme_length > 0) {
      std::size_t token_start = i + scheme_length;
      while (token_start < text.size() && is_blank(text[token_start]))
        ++token_start;
      std::size_t token_end = token_start;
      while (token_end < text.size() && is_token_char(text[token_end]))
        ++token_end;
      if (token_start > i + scheme_length && token_end - token_start >= kMinTokenLength) {
        out.append(text.substr(i, scheme_length));
        out.push_back(' ');
        out.append(kRedacted);
        i = token_end;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time - seconds).count();
    const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
    boost::json::object line;
    line["ts"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(time), millis);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view(level.data(), level.size());
    line["logger"] = std::string_view(msg.logger_name.data(), msg.logger_name.size());
    line["thread"] = msg.thread_id;
    line["msg"] = std::string_view(msg.payload.data(), msg.payload.size());
    const std::string text = boost::json::serialize(line);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// The log may name candidates, so the file is created owner-only and tightened if it existed.
void create_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot open log file {}: {}", path.string(), std::strerror(errno)));
  }
  const int chmod_result = ::fchmod(fd, 0600);
  const int saved_errno = errno;
  ::close(fd);
  if (chmod_result != 0) {
    throw std::runtime_error(fmt::format("cannot make log file {} private (chmod 600): {}",
                                         path.string(), std::strerror(saved_errno)));
  }
}

}  // namespace

Redactor& Redactor::instance() {
  static Redactor redactor;
  return redactor;
}

bool Redactor::add_secret(std::string_view value) {
  if (value.size() < kMinSecretLength)
    return false;
  const std::vector<std::string> encoded = encoded_forms(value);
  std::unique_lock lock(mutex_);
  insert_longest_first(secrets_, value);
  insert_longest_first(forms_, value);
  for (const std::string& form : encoded)
    insert_longest_first(forms_, form);
  for (const std::string& fragment : base64_fragments(value))
    insert_longest_first(base64_fragments_, fragment);

  return true;
}

std::string Redactor::redact_secrets(std::string_view text) const {
  std::shared_lock lock(mutex_);
  if (secrets_.empty())
    return std::string(text);
  std::string result(text);
  for (const auto& form : forms_)
    replace_all(result, form, kRedacted);
  return mask_encoded_secrets(result, base64_fragments_);
}

std::string Redactor::redact(std::string_view text) const {
  return mask_scheme_tokens(mask_authorization(redact_secrets(text)));
}

std::size_t Redactor::secret_count() const {
  std::shared_lock lock(mutex_);
  return secrets_.size();
}

std::string redact(std::string_view text) {
  return Redactor::instance().redact(text);
}

std::string redact_secrets(std::string_view text) {
  return Redactor::instance().redact_secrets(text);
}

spdlog::sink_ptr make_redacting(spdlog::sink_ptr inner, Formatting formatting) {
  return std::make_shared<RedactingSinkMt>(std::move(inner), formatting);
}

spdlog::level::level_enum parse_level(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "trace")
    return spdlog::level::trace;
  if (lower == "debug")
    return spdlog::level::debug;
  if (lower == "info")
    return spdlog::level::info;
  if (lower == "warn" || lower == "warning")
    return spdlog::level::warn;
  if (lower == "error")
    return spdlog::level::err;
  if (lower == "critical")
    return spdlog::level::critical;
  if (lower == "off")
    return spdlog::level::off;
  throw std::invalid_argument(fmt::format(
      "unknown log level '{}' (expected trace, debug, info, warn, error, critical or off)", name));
}

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<JsonFormatter>();
}

std::shared_ptr<spdlog::logger> install_logger(std::vector<spdlog::sink_ptr> sinks,
                                               spdlog::level::level_enum level) {
  std::vector<spdlog::sink_ptr> redacting;
  redacting.reserve(sinks.size());
  for (auto& sink : sinks) {
    const bool wrapped = std::dynamic_pointer_cast<RedactingSinkMt>(sink) != nullptr;
    redacting.push_back(wrapped ? std::move(sink) : make_redacting(std::move(sink)));
  }
  auto logger = std::make_shared<spdlog::logger>("atsm", redacting.begin(), redacting.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return logger;
}

std::shared_ptr<spdlog::logger> setup_logging(const LogOptions& options) {
  const auto level = parse_level(options.level);
  std::vector<spdlog::sink_ptr> sinks;
  auto human = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  human->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  sinks.push_back(std::move(human));
  if (options.json_file) {
    create_private_file(*options.json_file);
    std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
    try {
      file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.json_file->string());
    } catch (const spdlog::spdlog_ex& error) {
      throw std::runtime_error(
          fmt::format("cannot open log file {}: {}", options.json_file->string(), error.what()));
    }
    file->set_formatter(make_json_formatter());
    sinks.push_back(make_redacting(std::move(file), Formatting::kKeepInner));
  }
  auto logger = install_logger(std::move(sinks), level);
  // Buffered file lines reach the disk within seconds even when nothing warns, so a crash in an
  // hours-long run does not lose the log's tail.
  spdlog::flush_every(std::chrono::seconds(2));
  return logger;
}

}  // namespace atsm::net
