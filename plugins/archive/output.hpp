// Writers of the archive's formats (CSV per RFC 4180, JSON Lines, XLSX through libxlsxwriter in
// constant-memory mode), each streaming one row at a time, and what makes a value safe for them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tables.hpp"

struct lxw_workbook;
struct lxw_worksheet;

namespace atsm::archive {

// What the writers changed in values, for the manifest.
struct SanitiseCounts {
  int64_t formula_prefixed = 0;  // CSV and XLSX cells that began with = + - @ (or tab / CR)
  int64_t xlsx_truncated = 0;    // XLSX cells past 32,767 characters
};

// A value a spreadsheet would run as a formula gets a leading apostrophe; true when it did.
bool neutralise_formula(std::string& text);

// Creates (or truncates) `file` with mode 0600 and opens it for writing; throws on failure.
FILE* open_private(const std::filesystem::path& file);

// Lower-case hex SHA-256 of a file's bytes, read in blocks.
std::string sha256_file(const std::filesystem::path& file);
std::string sha256_hex(const std::string& bytes);

class CsvWriter {
 public:
  CsvWriter(const std::filesystem::path& file, const std::vector<std::string>& header,
            SanitiseCounts& counts);
  ~CsvWriter();
  void row(const std::vector<Cell>& cells);
  void close();

 private:
  void field(const std::string& text);
  FILE* out_;
  SanitiseCounts& counts_;
};

class JsonlWriter {
 public:
  JsonlWriter(const std::filesystem::path& file, std::vector<std::string> header);
  ~JsonlWriter();
  void row(const std::vector<Cell>& cells);
  void close();

 private:
  FILE* out_;
  std::vector<std::string> header_;
};

// One workbook; tables become sheets in order; a table past `max_rows` rows (header included)
// continues on "<table>_2", "<table>_3"...
class XlsxWriter {
 public:
  XlsxWriter(const std::filesystem::path& file, const std::filesystem::path& temp_dir,
             uint32_t max_rows, SanitiseCounts& counts);
  ~XlsxWriter();
  void begin_table(const std::string& table, const std::vector<std::string>& header);
  void row(const std::vector<Cell>& cells);
  void close();
  // The sheets each table took, in order.
  const std::vector<std::pair<std::string, std::vector<std::string>>>& sheets() const {
    return sheets_;
  }

 private:
  void new_sheet();
  std::string path_;
  std::string temp_dir_;
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* sheet_ = nullptr;
  uint32_t max_rows_;
  uint32_t next_row_ = 0;
  std::vector<std::string> header_;
  std::vector<std::pair<std::string, std::vector<std::string>>> sheets_;
  SanitiseCounts& counts_;
};

}  // namespace atsm::archive
