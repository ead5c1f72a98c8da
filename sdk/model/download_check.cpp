#include <atsmigrate/model/download_check.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace atsm::model {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The file's name says it is a web page (then an HTML body is the file itself).
bool named_as_html(const std::string& file_name) {
  const std::string name = lower(file_name);
  for (const char* suffix : {".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml"})
    if (name.size() >= std::string_view(suffix).size() &&
        name.compare(name.size() - std::string_view(suffix).size(), std::string::npos, suffix) == 0)
      return true;
  return false;
}

bool html_media_type(const std::optional<std::string>& content_type) {
  if (!content_type)
    return false;
  std::string type = lower(content_type->substr(0, content_type->find(';')));
  type.erase(0, type.find_first_not_of(" \t"));
  type.erase(type.find_last_not_of(" \t") + 1);
  return type == "text/html" || type == "application/xhtml+xml";
}

// The first bytes open an HTML document (after a byte-order mark, white space and comments).
bool starts_as_html(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF")
    head.remove_prefix(3);
  for (;;) {
    while (!head.empty() && std::isspace(static_cast<unsigned char>(head.front())))
      head.remove_prefix(1);
    if (head.substr(0, 4) != "<!--")
      break;
    std::size_t end = head.find("-->");
    if (end == std::string_view::npos)
      return false;
    head.remove_prefix(end + 3);
  }
  const std::string start = lower(head.substr(0, 16));
  static constexpr std::array<std::string_view, 6> kOpenings{"<!doctype html", "<html",  "<head",
                                                             "<body",          "<title", "<meta"};
  return std::any_of(kOpenings.begin(), kOpenings.end(), [&](std::string_view opening) {
    return start.rfind(opening, 0) == 0 &&
           (start.size() == opening.size() ||
            !std::isalnum(static_cast<unsigned char>(start[opening.size()])));
  });
}

}  // namespace

std::optional<std::string> download_mismatch(const DeclaredFile& declared,
                                             const DownloadedFile& downloaded) {
  if (declared.size && *declared.size > 0 &&
      static_cast<std::uint64_t>(*declared.size) != downloaded.size)
    return "the download brought " + std::to_string(downloaded.size) + " bytes where the source " +
           "declared " + std::to_string(*declared.size) + " (cut short, or another file)";
  if (!named_as_html(declared.file_name) &&
      (html_media_type(downloaded.content_type) || starts_as_html(downloaded.head)))
    return "the download is an HTML page (" + downloaded.content_type.value_or("no Content-Type") +
           ", " + std::to_string(downloaded.size) +
           " bytes), not the declared file (a login or expired-link page answered 200?)";
  return std::nullopt;
}

}  // namespace atsm::model
