#include "services/net/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "services/net/log.hpp"

namespace atsm::net {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool is_valid_name(std::string_view name) {
  if (name.empty())
    return false;
  const auto is_alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!is_alpha(name.front()) && name.front() != '_')
    return false;
  for (const char c : name) {
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_')
      return false;
  }
  return true;
}

// Reads the whole file through one descriptor, so the mode check applies to what is read.
std::string read_private_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw SecretsError(
        fmt::format("cannot open credentials file {}: {}", path.string(), std::strerror(errno)));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    throw SecretsError(
        fmt::format("cannot stat credentials file {}: {}", path.string(), std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    throw SecretsError(fmt::format("credentials file {} is not a regular file", path.string()));
  }
  const unsigned mode = info.st_mode & 07777;
  if ((mode & 077) != 0) {
    const char* access = (mode & 044) != 0 ? "readable" : "accessible";
    throw SecretsError(
        fmt::format("credentials file {} is {} by group or others (mode {:04o}); "
                    "chmod 600 it",
                    path.string(), access, mode));
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR)
        continue;
      throw SecretsError(
          fmt::format("cannot read credentials file {}: {}", path.string(), std::strerror(errno)));
    }
    if (count == 0)
      break;
    content.append(buffer, static_cast<std::size_t>(count));
  }
  return content;
}

}  // namespace

SecretStore::SecretStore(const std::filesystem::path& credentials_file) : file_(credentials_file) {
  const std::string content = read_private_file(credentials_file);
  std::map<std::string, std::size_t, std::less<>> defined_on_line;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < content.size()) {
    auto end = content.find('\n', start);
    if (end == std::string::npos)
      end = content.size();
    const std::string_view line = trim(std::string_view(content).substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#')
      continue;

    const auto malformed = [&](std::string_view why) {
      return SecretsError(fmt::format("credentials file {} line {}: {}", credentials_file.string(),
                                      line_number, why));
    };
    std::string_view assignment = line;
    if (assignment.starts_with("export ") || assignment.starts_with("export\t")) {
      assignment = trim(assignment.substr(6));
    }
    const auto equals = assignment.find('=');
    if (equals == std::string_view::npos)
      throw malformed("expected NAME=value");
    const std::string_view name = trim(assignment.substr(0, equals));
    if (!is_valid_name(name)) {
      throw malformed("expected NAME=value with NAME made of letters, digits and _");
    }
    std::string_view value = trim(assignment.substr(equals + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      if (value.size() < 2 || value.back() != value.front()) {
        throw malformed(fmt::format("value of {} has an unclosed quote", name));
      }
      value = value.substr(1, value.size() - 2);
    }
    if (const auto previous = defined_on_line.find(name); previous != defined_on_line.end()) {
      throw malformed(fmt::format("{} is already defined on line {}", name, previous->second));
    }
    defined_on_line.emplace(std::string(name), line_number);
    Redactor::instance().add_secret(value);
    file_values_.emplace(std::string(name), std::string(value));
  }
}

std::optional<std::string> SecretStore::get(std::string_view name) const {
  if (const auto found = file_values_.find(name); found != file_values_.end()) {
    return found->second;
  }
  const char* from_environment = std::getenv(std::string(name).c_str());
  if (from_environment == nullptr)
    return std::nullopt;
  Redactor::instance().add_secret(from_environment);
  return std::string(from_environment);
}

}  // namespace atsm::net
