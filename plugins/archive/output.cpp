#include "output.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace atsm::archive {
namespace {

constexpr size_t kXlsxCellMax = 32767;  // characters (code points), Excel's limit
constexpr const char* kTruncatedMarker = "…[truncated by atsmigrate]";

std::string hex(const unsigned char* digest, unsigned length) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += digits[digest[i] >> 4];
    out += digits[digest[i] & 0xF];
  }
  return out;
}

void put(FILE* out, const std::string& text, const std::string& what) {
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), out) != text.size())
    throw std::runtime_error("cannot write " + what + ": " + std::strerror(errno));
}

// The first `limit` code points of UTF-8 `text`, or all of it; sets `cut` when shorter.
std::string first_code_points(const std::string& text, size_t limit, bool& cut) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == limit) {
        cut = true;
        return text.substr(0, i);
      }
      ++count;
    }
  }
  cut = false;
  return text;
}

size_t code_points(const std::string& text) {
  size_t count = 0;
  for (char c : text)
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

}  // namespace

bool neutralise_formula(std::string& text) {
  if (text.empty())
    return false;
  char first = text[0];
  if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' ||
      first == '\r') {
    text.insert(text.begin(), '\'');
    return true;
  }
  return false;
}

FILE* open_private(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  FILE* out = ::fdopen(fd, "wb");
  if (out == nullptr) {
    ::close(fd);
    throw std::runtime_error("cannot open " + file.string());
  }
  return out;
}

std::string sha256_file(const std::filesystem::path& file) {
  FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr)
    throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), in)) > 0)
    EVP_DigestUpdate(context, buffer.data(), got);
  std::fclose(in);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  return hex(digest, length);
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return hex(digest, length);
}

// ---- CSV -------------------------------------------------------------------------------------

CsvWriter::CsvWriter(const std::filesystem::path& file, const std::vector<std::string>& header,
                     SanitiseCounts& counts)
    : out_(open_private(file)), counts_(counts) {
  std::vector<Cell> cells(header.begin(), header.end());
  for (size_t i = 0; i < header.size(); ++i) {
    if (i > 0)
      put(out_, ",", "CSV");
    field(header[i]);
  }
  put(out_, "\r\n", "CSV");
}

CsvWriter::~CsvWriter() {
  if (out_ != nullptr)
    std::fclose(out_);
}

void CsvWriter::field(const std::string& text) {
  bool quote = text.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) {
    put(out_, text, "CSV");
    return;
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"')
      quoted += '"';
    quoted += c;
  }
  quoted += '"';
  put(out_, quoted, "CSV");
}

void CsvWriter::row(const std::vector<Cell>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0)
      put(out_, ",", "CSV");
    if (!cells[i])
      continue;
    std::string text = *cells[i];
    if (neutralise_formula(text))
      counts_.formula_prefixed++;
    field(text);
  }
  put(out_, "\r\n", "CSV");
}

void CsvWriter::close() {
  FILE* out = out_;
  out_ = nullptr;
  if (std::fclose(out) != 0)
    throw std::runtime_error(std::string("cannot finish a CSV file: ") + std::strerror(errno));
}

// ---- JSON Lines --------------------------------------------------------------------------------

JsonlWriter::JsonlWriter(const std::filesystem::path& file, std::vector<std::string> header)
    : out_(open_private(file)), header_(std::move(header)) {}

JsonlWriter::~JsonlWriter() {
  if (out_ != nullptr)
    std::fclose(out_);
}

void JsonlWriter::row(const std::vector<Cell>& cells) {
  boost::json::object object;
  for (size_t i = 0; i < cells.size() && i < header_.size(); ++i) {
    if (cells[i])
      object[header_[i]] = *cells[i];
    else
      object[header_[i]] = nullptr;
  }
  put(out_, boost::json::serialize(object) + "\n", "JSONL");
}

void JsonlWriter::close() {
  FILE* out = out_;
  out_ = nullptr;
  if (std::fclose(out) != 0)
    throw std::runtime_error(std::string("cannot finish a JSONL file: ") + std::strerror(errno));
}

// ---- XLSX ------------------------------------------------------------------------------------

XlsxWriter::XlsxWriter(const std::filesystem::path& file, const std::filesystem::path& temp_dir,
                       uint32_t max_rows, SanitiseCounts& counts)
    : path_(file.string()), temp_dir_(temp_dir.string()), max_rows_(max_rows), counts_(counts) {
  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  options.tmpdir = temp_dir_.data();
  workbook_ = workbook_new_opt(path_.c_str(), &options);
  if (workbook_ == nullptr)
    throw std::runtime_error("cannot create " + path_);
}

XlsxWriter::~XlsxWriter() {
  if (workbook_ != nullptr)
    workbook_close(workbook_);
}

void XlsxWriter::begin_table(const std::string& table, const std::vector<std::string>& header) {
  header_ = header;
  sheets_.push_back({table, {}});
  new_sheet();
}

void XlsxWriter::new_sheet() {
  std::vector<std::string>& names = sheets_.back().second;
  std::string name = sheets_.back().first;
  if (!names.empty())
    name += "_" + std::to_string(names.size() + 1);
  names.push_back(name);
  sheet_ = workbook_add_worksheet(workbook_, name.c_str());
  if (sheet_ == nullptr)
    throw std::runtime_error("cannot add sheet " + name + " to " + path_);
  for (size_t i = 0; i < header_.size(); ++i)
    worksheet_write_string(sheet_, 0, static_cast<lxw_col_t>(i), header_[i].c_str(), nullptr);
  next_row_ = 1;
}

void XlsxWriter::row(const std::vector<Cell>& cells) {
  if (next_row_ >= max_rows_)
    new_sheet();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (!cells[i])
      continue;
    std::string text = *cells[i];
    if (neutralise_formula(text))
      counts_.formula_prefixed++;
    if (code_points(text) > kXlsxCellMax) {
      bool cut = false;
      text = first_code_points(text, kXlsxCellMax - code_points(kTruncatedMarker), cut) +
             kTruncatedMarker;
      counts_.xlsx_truncated++;
    }
    lxw_error error =
        worksheet_write_string(sheet_, next_row_, static_cast<lxw_col_t>(i), text.c_str(), nullptr);
    if (error != LXW_NO_ERROR) {
      throw std::runtime_error("XLSX sheet " + sheets_.back().second.back() + " row " +
                               std::to_string(next_row_) + ": " + lxw_strerror(error));
    }
  }
  ++next_row_;
}

void XlsxWriter::close() {
  lxw_workbook* workbook = workbook_;
  workbook_ = nullptr;
  lxw_error error = workbook_close(workbook);
  if (error != LXW_NO_ERROR)
    throw std::runtime_error("cannot finish " + path_ + ": " + lxw_strerror(error));
  ::chmod(path_.c_str(), 0600);
}

}  // namespace atsm::archive
