// Is a downloaded file the file the source declared? A vendor (or a proxy, a login wall, an
// expired-link page in front of it) can answer 200 with something else: an HTML page, a body cut
// short, another file's bytes. Sources check each download with this before they emit it, and
// fail what does not fit through `fetch_failure` (retried, then reported, never uploaded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atsm::model {

// What the source said about the file before it was downloaded.
struct DeclaredFile {
  std::string file_name;             // with its extension, when known
  std::optional<std::int64_t> size;  // bytes, when the source declares them
};

// What the download brought.
struct DownloadedFile {
  std::uint64_t size = 0;
  std::optional<std::string> content_type;  // the answer's Content-Type header
  std::string_view head;                    // its first bytes (a few hundred suffice)
};

// Why the download cannot be the declared file, or nullopt when it may be: a size other than
// the declared one, or an HTML page (by Content-Type or by its first bytes) for a file whose name
// does not say it is one.
std::optional<std::string> download_mismatch(const DeclaredFile& declared,
                                             const DownloadedFile& downloaded);

}  // namespace atsm::model
