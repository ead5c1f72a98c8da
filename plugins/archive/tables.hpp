// The archive's tables: one per canonical kind plus one per child array, each with stable column
// names (README.md lists them), and the flattening of a canonical record into their rows.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

namespace atsm::archive {

using Cell = std::optional<std::string>;  // an output cell's text; nullopt: an empty cell
// A column's value as the record holds it, JSON type kept (read_back answers it typed); nullopt:
// the record has no such member. A JSON null is kept: a custom field's value may be null.
using Value = std::optional<boost::json::value>;

struct TableSpec {
  std::string name;
  std::string kind;                  // the canonical kind whose records fill it
  std::string field;                 // "" for the kind's own table; else the record's array member
  std::string parent_col;            // child tables: the column holding the parent's source key
  bool with_parent_kind = false;     // custom_field_values: which kind the parent is
  std::vector<std::string> fields;   // record (or element) members, in column order; "" = element
  std::vector<std::string> columns;  // every column, in order
};

// Every table, in dependency order of their kinds (a table may appear for several kinds:
// custom_field_values holds the values of persons, candidacies and jobs).
const std::vector<TableSpec>& table_specs();

// The distinct table names, in order.
const std::vector<std::string>& table_names();

// The columns of a table name, or nullptr for an unknown name.
const std::vector<std::string>* table_columns(const std::string& table);

// The table of a kind's own records ("person" -> "persons"), or "" for an unknown kind.
std::string main_table(const std::string& kind);

struct Row {
  std::string table;
  std::string rid;  // stable identity within the table: source key, or parent key + "#" + position
  std::vector<Value> values;  // one per column of the table, full width
};

// The output text of a value: a string as it is, booleans and numbers as JSON spells them, arrays
// and objects as JSON text; absent or null is an empty cell.
Cell cell_text(const Value& value);

// The spec of a kind's table (`custom_field_values` has one per kind), or nullptr.
const TableSpec* table_spec(const std::string& kind, const std::string& table);

// The rows one canonical record of `kind` gives. Throws std::invalid_argument naming the field
// when the record is not a JSON object or lacks its source_key.
std::vector<Row> flatten(const std::string& kind, const boost::json::value& record);

// Replaces invalid UTF-8 sequences with U+FFFD; returns how many were replaced.
size_t repair_utf8(std::string& text);
// The same for every string (and object key) inside a JSON value.
size_t repair_utf8(boost::json::value& value);

}  // namespace atsm::archive
