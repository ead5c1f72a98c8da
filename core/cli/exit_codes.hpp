// The exit codes `atsmigrate` documents (README "CLI").
#pragma once

namespace atsm::cli {

enum ExitCode : int {
  kExitOk = 0,       // everything asked for was done
  kExitUsage = 1,    // the command line or an input file is wrong; nothing was changed
  kExitPartial = 2,  // the run finished but some records failed (see the report)
  kExitFatal = 3,    // the run could not go on (auth, unreachable vendor, corrupt work dir)
  kExitHeld = 4,     // nothing differs, but records wait for an operator's step in the target
                     // (the report's `held` says which); a re-run after it writes them
};

}  // namespace atsm::cli
