// etcdctl's command line: a small counterpart of spf13/cobra and spf13/pflag, the libraries the
// real etcdctl 3.4 parses its arguments with, keeping their behaviour and error words:
//   * a tree of commands ("lease grant"); a command is found by its name or by a unique prefix
//     of it (cobra.EnablePrefixMatching, so `compact` runs `compaction`);
//   * flags may come before, between and after the arguments; `--name=value`, `--name value`,
//     `-x value`, `-xvalue`, `--bool`, `--bool=false`; `--` ends the flags;
//   * persistent flags of a command apply to its subcommands (the global flags are the root's);
//   * errors read as pflag's ("unknown flag: --foo", "flag needs an argument: --rev",
//     "invalid argument \"x\" for \"--rev\" flag: strconv.ParseInt: parsing \"x\": invalid
//     syntax") and cobra's ("unknown command \"foo\" for \"etcdctl\"" with its suggestions).
//
// Thread-safety: none; a command line is parsed once, on the main thread.
#ifndef ETCD_CMD_ETCDCTL_FLAGS_H_
#define ETCD_CMD_ETCDCTL_FLAGS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl//status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pkg/go_parse.h"

namespace etcd::etcdctl {

// One flag: its names, how a value is parsed into its target, and whether it was set.
class Flag {
 public:
  enum class Kind { kBool, kString, kInt64, kInt, kDuration, kStringSlice };

  const std::string& name() const { return name_; }
  char shorthand() const { return shorthand_; }
  Kind kind() const { return kind_; }
  const std::string& usage() const { return usage_; }
  // The default as pflag prints it in help ("5s", "[127.0.0.1:2379]", "\"l\"", "false").
  const std::string& default_text() const { return default_text_; }
  // Whether the command line (or the environment, via Set) gave a value.
  bool changed() const { return changed_; }

  // Parses `value` into the target, as pflag's Value.Set; a string slice takes
  // comma-separated values and replaces the default on the first Set, then appends.
  // Errors: InvalidArgument with Go's parse error ("strconv.ParseInt: parsing \"x\": invalid
  // syntax", "time: invalid duration \"x\"").
  absl::Status Set(absl::string_view value);
  // The value as pflag's String() prints it (what `--debug` lists).
  std::string ValueText() const;

 private:
  friend class FlagSet;
  friend class Command;
  std::string name_;
  char shorthand_ = 0;
  Kind kind_ = Kind::kBool;
  std::string usage_;
  std::string default_text_;
  bool changed_ = false;
  void* target_ = nullptr;
};

// A set of flags bound to variables the caller owns (they must outlive the set).
class FlagSet {
 public:
  FlagSet() = default;
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Define a flag; `shorthand` 0 for none. The target keeps its current value as the default.
  void Bool(std::string name, char shorthand, bool* target, std::string usage);
  void String(std::string name, char shorthand, std::string* target, std::string usage);
  void Int64(std::string name, char shorthand, int64_t* target, std::string usage);
  void Int(std::string name, char shorthand, int* target, std::string usage);
  void Duration(std::string name, char shorthand, absl::Duration* target, std::string usage);
  void StringSlice(std::string name, char shorthand, std::vector<std::string>* target,
                   std::string usage);

  Flag* Lookup(absl::string_view name);
  Flag* LookupShorthand(char shorthand);
  // Every flag, in the order defined.
  const std::vector<std::unique_ptr<Flag>>& flags() const { return flags_; }

 private:
  Flag& Add(std::string name, char shorthand, Flag::Kind kind, void* target, std::string usage,
            std::string default_text);
  std::vector<std::unique_ptr<Flag>> flags_;
};

// What a command runs with: its positional arguments (flags removed) and, as cobra's
// ArgsLenAtDash, how many of them came before a `--` (-1 without one).
struct Invocation {
  std::vector<std::string> args;
  int args_len_at_dash = -1;
};

// A command of the tree. A command without `run` only groups subcommands (run alone, it
// prints its help, as cobra does).
class Command {
 public:
  Command(std::string use, std::string short_help);
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  // The first word of `use`.
  const std::string& name() const { return name_; }
  const std::string& use() const { return use_; }
  const std::string& short_help() const { return short_help_; }
  Command* parent() const { return parent_; }
  // "etcdctl lease grant".
  std::string Path() const;

  FlagSet& flags() { return flags_; }
  // Flags this command and every subcommand accept.
  FlagSet& persistent_flags() { return persistent_flags_; }

  Command& AddCommand(std::unique_ptr<Command> sub);
  const std::vector<std::unique_ptr<Command>>& subcommands() const { return subcommands_; }

  // Returns the process's exit code.
  std::function<int(const Invocation&)> run;

  // The flag `name` (long) among this command's flags and the persistent flags of it and its
  // ancestors; nullptr if none.
  Flag* FindFlag(absl::string_view name);
  Flag* FindShorthand(char shorthand);
  // The flags persistent flags of the ancestors (cobra's InheritedFlags), nearest first.
  std::vector<Flag*> InheritedFlags();
  // Every flag this command accepts.
  std::vector<Flag*> AllFlags();

  // cobra's help text (NAME, USAGE, COMMANDS, OPTIONS, GLOBAL OPTIONS).
  std::string Usage();

 private:
  std::string name_, use_, short_help_;
  Command* parent_ = nullptr;
  FlagSet flags_;
  FlagSet persistent_flags_;
  std::vector<std::unique_ptr<Command>> subcommands_;
};

// The outcome of parsing a command line against a tree.
struct ParsedCommandLine {
  Command* command = nullptr;
  Invocation invocation;
  bool help = false;  // -h/--help was given
};

// Finds the command `args` name (exact name, else a unique prefix, walking down from `root`)
// and parses the rest: flags are set, positional arguments collected. Errors
// (InvalidArgument, message as cobra/pflag word it): unknown commands of the root (with "Did
// you mean this?" suggestions and "Run 'etcdctl --help' for usage."), unknown flags, missing
// or bad flag values. `command` is set even on a flag error (its usage is printed).
absl::Status ParseCommandLine(Command& root, const std::vector<std::string>& args,
                              ParsedCommandLine& out);

// strconv.ParseInt(text, base, 64) and strconv.ParseUint(text, base, 64), as etcdctl parses
// IDs, revisions and TTLs; errors as pkg::GoParseInt/GoParseUint (Go's words).
inline absl::StatusOr<int64_t> ParseGoInt64(absl::string_view text, int base) {
  return pkg::GoParseInt(text, base, 64);
}
inline absl::StatusOr<uint64_t> ParseGoUint64(absl::string_view text, int base) {
  return pkg::GoParseUint(text, base, 64);
}

}  // namespace etcd::etcdctl

#endif  // ETCD_CMD_ETCDCTL_FLAGS_H_
