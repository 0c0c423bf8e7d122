// Command-line flags of the benchmark, parsed as etcd's tools (cobra/pflag) accept them:
// "--name=value" or "--name value", "--flag" for a boolean (or "--flag=false"), anywhere among
// the arguments; the other arguments are positional. Durations use Go's syntax ("5m", "1.5s",
// "100ms").
//
// Thread-safety: a FlagSet is used by one thread (at start-up).
#ifndef ETCD_CMD_BENCHMARK_FLAGS_H_
#define ETCD_CMD_BENCHMARK_FLAGS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcd::benchmark {

class FlagSet {
 public:
  // Registers a flag that writes into `*target`; the value it holds now is the default.
  // `target` must outlive Parse.
  void Int(const std::string& name, int64_t* target, const std::string& help);
  void Double(const std::string& name, double* target, const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);
  void String(const std::string& name, std::string* target, const std::string& help);
  // A comma-separated list ("a,b,c").
  void List(const std::string& name, std::vector<std::string>* target, const std::string& help);
  void Duration(const std::string& name, std::chrono::nanoseconds* target,
                const std::string& help);

  // Parses `args` (without the program and command names), setting the flags it names and
  // returning the rest, in order. "--" ends the flags. Errors: InvalidArgument for an unknown
  // flag, a missing or malformed value.
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args) const;

  // One line per flag: name, default and help, sorted by name.
  std::string Usage() const;

 private:
  struct Flag {
    std::string name, help, default_value;
    bool is_bool = false;
    std::function<absl::Status(const std::string&)> set;
  };
  void Add(Flag flag);
  std::vector<Flag> flags_;
};

}  // namespace etcd::benchmark

#endif  // ETCD_CMD_BENCHMARK_FLAGS_H_
