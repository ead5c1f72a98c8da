#pragma once
// Logging: human lines on stderr, optional JSON Lines file, and a process-wide Redactor that every
// line passes through, so secrets (API keys, OAuth tokens, client secrets) never reach a log.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

namespace atsm::net {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// Thread-safe registry of secret values. redact() replaces each registered value with
// "[REDACTED]", in its plain, percent-encoded and JSON-escaped forms and inside any base64 token
// (the `Basic base64(key:)` or `base64(id:secret)` a vendor may quote back), and masks
// `Authorization: ...`, `Basic <token>` and `Bearer <token>` anywhere.
class Redactor {
 public:
  // Values shorter than this are not registered: masking "abc" everywhere would mangle text.
  static constexpr std::size_t kMinSecretLength = 4;

  static Redactor& instance();

  // Registers a secret; returns false (and does nothing) when it is too short.
  bool add_secret(std::string_view value);
  std::string redact(std::string_view text) const;
  // Only the registered secrets and their encodings, not the header-shaped masks: for data (a
  // candidate's note may say "Basic knowledge of SQL", which must reach the target intact).
  std::string redact_secrets(std::string_view text) const;
  std::size_t secret_count() const;

 private:
  mutable std::shared_mutex mutex_;
  // The secrets as registered (searched for inside decoded base64) and every form they are
  // looked for in plain text; longest first, so a secret containing another goes whole.
  std::vector<std::string> secrets_;
  std::vector<std::string> forms_;
  std::vector<std::string> base64_fragments_;  // a secret inside base64 text, each alignment
};

// Redacts with the process-wide Redactor; for error messages as well as logs.
std::string redact(std::string_view text);
// Registered secrets (and encodings) only, with the process-wide Redactor; for vendor data.
std::string redact_secrets(std::string_view text);

// Sink decorator: redacts each message's payload, then hands it to the wrapped sink, which
// formats and writes it. Formatting calls (logger or global set_pattern) are forwarded to the
// wrapped sink unless it keeps a fixed format (the JSON file must stay JSON).
enum class Formatting { kForward, kKeepInner };

template <typename Mutex>
class RedactingSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  explicit RedactingSink(spdlog::sink_ptr inner, Formatting formatting = Formatting::kForward)
      : inner_(std::move(inner)), formatting_(formatting) {}
  const spdlog::sink_ptr& inner() const noexcept { return inner_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!inner_->should_log(msg.level))
      return;
    const std::string clean = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(clean.data(), clean.size());
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override {
    if (formatting_ == Formatting::kForward)
      inner_->set_pattern(pattern);
  }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    if (formatting_ == Formatting::kForward)
      inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
  Formatting formatting_;
};

using RedactingSinkMt = RedactingSink<std::mutex>;

// Wraps a sink so that everything written to it is redacted.
spdlog::sink_ptr make_redacting(spdlog::sink_ptr inner,
                                Formatting formatting = Formatting::kForward);

// "trace", "debug", "info", "warn"/"warning", "error", "critical", "off" (any case).
// Throws std::invalid_argument naming the value otherwise.
spdlog::level::level_enum parse_level(std::string_view name);

// Formats each message as one JSON object per line: ts (UTC, ISO 8601 with ms), level, logger,
// thread, msg.
std::unique_ptr<spdlog::formatter> make_json_formatter();

struct LogOptions {
  std::string level = "info";
  // When set, a JSON Lines copy of the log is appended here (file created 0600: it may name
  // candidates).
  std::optional<std::filesystem::path> json_file;
};

// Installs the default logger "atsm": human lines on stderr plus the optional JSON file, every sink
// redacted. Throws std::invalid_argument on a bad level, std::runtime_error naming the file when
// it cannot be opened.
std::shared_ptr<spdlog::logger> setup_logging(const LogOptions& options);

// Installs a default logger "atsm" writing to the given sinks, each wrapped in a RedactingSink
// (sinks already wrapped are kept as they are).
std::shared_ptr<spdlog::logger> install_logger(std::vector<spdlog::sink_ptr> sinks,
                                               spdlog::level::level_enum level);

}  // namespace atsm::net
