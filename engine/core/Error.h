#pragma once
// attnscope::Error: the one exception type the engine throws for problems a
// user can act on (bad input files, mismatched plans, impossible settings).
// Its message names the file, tensor, field or value at fault.
#include <stdexcept>
#include <string>

namespace attnscope {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by long jobs when the user asked them to stop.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled by the user") {}
};

}  // namespace attnscope
