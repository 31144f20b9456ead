// Expected failures (not found, invalid, conflict, ...) travel as Result<T> with a
// protocol-neutral code; http/error_map.cpp is the one place that turns codes into statuses.
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace calipso {

enum class Errc {
  malformed,     // the request itself is unreadable (bad JSON, bad encoding)
  invalid,       // well-formed input that fails validation
  unauthorized,  // no or bad credentials
  forbidden,     // credentials fine, permission missing
  not_found,
  conflict,  // unique key taken, stale revision
  too_large,
  unavailable,   // a dependency (database, ...) is down; retry later
  storage_full,  // the database's disk is full; nothing was saved
  internal,      // a bug or an unexpected driver fault; details go to the log only
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string field;          // the input field at fault, when there is one
  std::vector<Error> others;  // further field errors reported together with this one
};

template <class T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, std::string field = {}) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(field), {}});
}
inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }

// Collects field errors so a form or API call reports all of them at once.
class Validation {
 public:
  void add(std::string field, std::string message) {
    errors_.push_back(Error{Errc::invalid, std::move(message), std::move(field), {}});
  }
  bool ok() const { return errors_.empty(); }
  Error error() const {
    Error first = errors_.front();
    first.others.assign(errors_.begin() + 1, errors_.end());
    return first;
  }

 private:
  std::vector<Error> errors_;
};

}  // namespace calipso
