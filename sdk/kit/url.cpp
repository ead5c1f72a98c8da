#include <atsmigrate/kit/url.hpp>

namespace atsm::kit {

std::string url_encode(std::string_view text, std::string_view also_keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c != 0 && also_keep.find(raw) != std::string_view::npos)) {
      out += raw;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace atsm::kit
