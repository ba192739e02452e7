#pragma once
// The subcommands of attnscope-cli. Each registers its options on the app
// and returns the function that runs it (exit code).
#include <functional>

#include <CLI/CLI.hpp>

namespace attnscope::cli {

using Runner = std::function<int()>;

Runner addGenerateCommand(CLI::App& app, const char* argv0, bool capture);
Runner addDeriveCommand(CLI::App& app);
Runner addCompareCommand(CLI::App& app);
Runner addStrategiesCommand(CLI::App& app);
Runner addHistoryCommand(CLI::App& app);
Runner addEvaluateCommand(CLI::App& app, const char* argv0);
Runner addAnalyzeCommand(CLI::App& app);
Runner addSweepCommand(CLI::App& app, const char* argv0);
Runner addDenoiseProbeCommand(CLI::App& app, const char* argv0);

}  // namespace attnscope::cli
