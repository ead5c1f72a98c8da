// Secrets never on the command line (README "Options"): an option or setting named like a secret
// is refused before parsing, and no error echoes an argument that may be one (a key pasted in the
// wrong place would otherwise sit in the terminal's scrollback and the shell's history output).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace atsm::cli {

// The refusal, for the first argument that hands a secret over (`--api-key VALUE`,
// `--set LEVER_API_KEY=VALUE`, `--set lever.api_key=VALUE`), saying where secrets go and never
// quoting the value; nullopt when there is none.
std::optional<std::string> secret_on_command_line(const std::vector<std::string>& args);

// A command-line parse error with every argument that may be a secret (a long token of letters
// and digits) replaced by [REDACTED], then through the redactor.
std::string safe_parse_error(const std::string& message, const std::vector<std::string>& args);

}  // namespace atsm::cli
