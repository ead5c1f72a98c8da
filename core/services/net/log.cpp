#include "services/net/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <regex>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

namespace atsm::net {
namespace {

void replace_all(std::string& text, std::string_view needle, std::string_view replacement) {
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), replacement);
    pos += replacement.size();
  }
}

// Header-shaped credentials are masked even when their value was never registered
// (e.g. a token a vendor returned that no one told the Redactor about).
const std::regex& authorization_pattern() {
  static const std::regex pattern(R"((authorization"?\s*[:=]\s*)[^\r\n]*)", std::regex::icase);
  return pattern;
}

// A scheme followed by a token-looking word of 8+ characters, so prose such as "basic info" stays.
const std::regex& scheme_token_pattern() {
  static const std::regex pattern(R"(\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{8,})",
                                  std::regex::icase);
  return pattern;
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
  std::unique_lock lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end())
    return true;
  const auto position =
      std::find_if(secrets_.begin(), secrets_.end(),
                   [&](const std::string& existing) { return existing.size() < value.size(); });
  secrets_.emplace(position, value);
  return true;
}

std::string Redactor::redact(std::string_view text) const {
  std::string result(text);
  {
    std::shared_lock lock(mutex_);
    for (const auto& secret : secrets_)
      replace_all(result, secret, kRedacted);
  }
  const std::string redacted_group = fmt::format("$1{}", kRedacted);
  result = std::regex_replace(result, authorization_pattern(), redacted_group);
  result = std::regex_replace(result, scheme_token_pattern(), fmt::format("$1 {}", kRedacted));
  return result;
}

std::size_t Redactor::secret_count() const {
  std::shared_lock lock(mutex_);
  return secrets_.size();
}

std::string redact(std::string_view text) {
  return Redactor::instance().redact(text);
}

spdlog::sink_ptr make_redacting(spdlog::sink_ptr inner) {
  return std::make_shared<RedactingSinkMt>(std::move(inner));
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
  for (auto& sink : sinks)
    redacting.push_back(make_redacting(std::move(sink)));
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
    sinks.push_back(std::move(file));
  }
  return install_logger(std::move(sinks), level);
}

}  // namespace atsm::net
