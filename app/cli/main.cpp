// attnscope-cli: every engine job from the command line. Errors a user can
// act on are one line on stderr and exit code 1; nothing is half-written.
#include <iostream>
#include <map>

#include <c10/util/Exception.h>

#include "app/cli/Commands.h"
#include "engine/core/Error.h"
#ifdef ATTNSCOPE_HAVE_VIDEO
#include "engine/io/Video.h"
#endif

int main(int argc, char** argv) {
  CLI::App app{"AttnScope: generate videos with a diffusion transformer, capture its attention, "
               "derive block-sparse masks, re-render with them and compare."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "attnscope-cli 0.1.0");
  std::map<std::string, attnscope::cli::Runner> runners;
  runners["generate"] = attnscope::cli::addGenerateCommand(app, argv[0], false);
  runners["capture"] = attnscope::cli::addGenerateCommand(app, argv[0], true);
  runners["derive"] = attnscope::cli::addDeriveCommand(app);
  // Commands that read or write video files (FFmpeg) or the run history
  // (SQLite) are built only where those libraries were found.
#ifdef ATTNSCOPE_HAVE_VIDEO
  runners["compare"] = attnscope::cli::addCompareCommand(app);
#endif
  runners["strategies"] = attnscope::cli::addStrategiesCommand(app);
#ifdef ATTNSCOPE_HAVE_HISTORY
  runners["history"] = attnscope::cli::addHistoryCommand(app);
#endif
#ifdef ATTNSCOPE_HAVE_VIDEO
  runners["evaluate"] = attnscope::cli::addEvaluateCommand(app, argv[0]);
#endif
  runners["analyze"] = attnscope::cli::addAnalyzeCommand(app);
#if defined(ATTNSCOPE_HAVE_VIDEO) && defined(ATTNSCOPE_HAVE_HISTORY)
  runners["sweep"] = attnscope::cli::addSweepCommand(app, argv[0]);
#endif
  runners["probe-denoise"] = attnscope::cli::addDenoiseProbeCommand(app, argv[0]);
  CLI11_PARSE(app, argc, argv);
#ifdef ATTNSCOPE_HAVE_VIDEO
  attnscope::quietVideoLibraryLogs();
#endif
  try {
    for (auto* sub : app.get_subcommands()) return runners.at(sub->get_name())();
  } catch (const attnscope::Cancelled&) {
    std::cerr << "\nattnscope: cancelled" << std::endl;
    return 130;
  } catch (const attnscope::Error& e) {
    std::cerr << "\nattnscope: error: " << e.what() << std::endl;
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "\nattnscope: error: out of memory (try fewer frames, a smaller size or fewer capture steps)"
              << std::endl;
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "\nattnscope: error in a tensor operation: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "\nattnscope: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
