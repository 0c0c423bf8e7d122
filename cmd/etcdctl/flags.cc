#include "cmd/etcdctl/flags.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace etcd::etcdctl {
namespace {

std::string GoQuote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

// ---- Flag ----

absl::Status Flag::Set(absl::string_view value) {
  switch (kind_) {
    case Kind::kBool: {
      auto b = pkg::GoParseBool(value);
      if (!b.ok()) return b.status();
      *static_cast<bool*>(target_) = *b;
      break;
    }
    case Kind::kString:
      *static_cast<std::string*>(target_) = std::string(value);
      break;
    case Kind::kInt64:
    case Kind::kInt: {
      auto i = ParseGoInt64(value, 0);
      if (!i.ok()) return i.status();
      if (kind_ == Kind::kInt64) {
        *static_cast<int64_t*>(target_) = *i;
      } else {
        *static_cast<int*>(target_) = static_cast<int>(*i);
      }
      break;
    }
    case Kind::kDuration: {
      auto d = pkg::GoParseDuration(value);
      if (!d.ok()) return d.status();
      *static_cast<absl::Duration*>(target_) = *d;
      break;
    }
    case Kind::kStringSlice: {
      auto* slice = static_cast<std::vector<std::string>*>(target_);
      std::vector<std::string> values =
          value.empty() ? std::vector<std::string>{} : absl::StrSplit(value, ',');
      if (!changed_) slice->clear();
      slice->insert(slice->end(), values.begin(), values.end());
      break;
    }
  }
  changed_ = true;
  return absl::OkStatus();
}

std::string Flag::ValueText() const {
  switch (kind_) {
    case Kind::kBool:
      return *static_cast<bool*>(target_) ? "true" : "false";
    case Kind::kString:
      return *static_cast<std::string*>(target_);
    case Kind::kInt64:
      return std::to_string(*static_cast<int64_t*>(target_));
    case Kind::kInt:
      return std::to_string(*static_cast<int*>(target_));
    case Kind::kDuration:
      return pkg::GoDurationString(*static_cast<absl::Duration*>(target_));
    case Kind::kStringSlice:
      return "[" + absl::StrJoin(*static_cast<std::vector<std::string>*>(target_), ",") + "]";
  }
  return "";
}

// ---- FlagSet ----

Flag& FlagSet::Add(std::string name, char shorthand, Flag::Kind kind, void* target,
                   std::string usage, std::string default_text) {
  auto flag = std::make_unique<Flag>();
  flag->name_ = std::move(name);
  flag->shorthand_ = shorthand;
  flag->kind_ = kind;
  flag->target_ = target;
  flag->usage_ = std::move(usage);
  flag->default_text_ = std::move(default_text);
  flags_.push_back(std::move(flag));
  return *flags_.back();
}

void FlagSet::Bool(std::string name, char shorthand, bool* target, std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kBool, target, std::move(usage),
      *target ? "true" : "false");
}
void FlagSet::String(std::string name, char shorthand, std::string* target, std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kString, target, std::move(usage),
      GoQuote(*target));
}
void FlagSet::Int64(std::string name, char shorthand, int64_t* target, std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kInt64, target, std::move(usage),
      std::to_string(*target));
}
void FlagSet::Int(std::string name, char shorthand, int* target, std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kInt, target, std::move(usage),
      std::to_string(*target));
}
void FlagSet::Duration(std::string name, char shorthand, absl::Duration* target,
                       std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kDuration, target, std::move(usage),
      pkg::GoDurationString(*target));
}
void FlagSet::StringSlice(std::string name, char shorthand, std::vector<std::string>* target,
                          std::string usage) {
  Add(std::move(name), shorthand, Flag::Kind::kStringSlice, target, std::move(usage),
      "[" + absl::StrJoin(*target, ",") + "]");
}

Flag* FlagSet::Lookup(absl::string_view name) {
  for (auto& f : flags_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

Flag* FlagSet::LookupShorthand(char shorthand) {
  for (auto& f : flags_) {
    if (f->shorthand() != 0 && f->shorthand() == shorthand) return f.get();
  }
  return nullptr;
}

// ---- Command ----

Command::Command(std::string use, std::string short_help)
    : use_(std::move(use)), short_help_(std::move(short_help)) {
  name_ = use_.substr(0, use_.find(' '));
}

std::string Command::Path() const {
  return parent_ == nullptr ? name_ : parent_->Path() + " " + name_;
}

Command& Command::AddCommand(std::unique_ptr<Command> sub) {
  sub->parent_ = this;
  subcommands_.push_back(std::move(sub));
  return *subcommands_.back();
}

std::vector<Flag*> Command::InheritedFlags() {
  std::vector<Flag*> out;
  for (Command* c = parent_; c != nullptr; c = c->parent_) {
    for (auto& f : c->persistent_flags_.flags()) out.push_back(f.get());
  }
  return out;
}

std::vector<Flag*> Command::AllFlags() {
  std::vector<Flag*> out;
  for (auto& f : flags_.flags()) out.push_back(f.get());
  for (auto& f : persistent_flags_.flags()) out.push_back(f.get());
  for (Flag* f : InheritedFlags()) out.push_back(f);
  return out;
}

Flag* Command::FindFlag(absl::string_view name) {
  for (Flag* f : AllFlags()) {
    if (f->name() == name) return f;
  }
  return nullptr;
}

Flag* Command::FindShorthand(char shorthand) {
  for (Flag* f : AllFlags()) {
    if (f->shorthand() != 0 && f->shorthand() == shorthand) return f;
  }
  return nullptr;
}

namespace {

std::string FlagHelpLines(const std::vector<Flag*>& flags) {
  std::vector<Flag*> sorted = flags;
  std::sort(sorted.begin(), sorted.end(),
            [](Flag* a, Flag* b) { return a->name() < b->name(); });
  std::vector<std::pair<std::string, std::string>> lines;
  size_t width = 0;
  for (Flag* f : sorted) {
    std::string left = f->shorthand() ? absl::StrFormat("  -%c, --%s", f->shorthand(), f->name())
                                       : absl::StrCat("      --", f->name());
    absl::StrAppend(&left, f->kind() == Flag::Kind::kBool ? "[=" : "=", f->default_text(),
                    f->kind() == Flag::Kind::kBool ? "]" : "");
    width = std::max(width, left.size());
    lines.emplace_back(left, f->usage());
  }
  // Go's tabwriter with tab padding: the column ends at the next tab stop after the widest.
  const size_t column = (width + 1 + 7) / 8 * 8;
  std::string out;
  for (const auto& [left, usage] : lines) {
    absl::StrAppend(&out, left, std::string((column - left.size() + 7) / 8, '\t'), usage, "\n");
  }
  return out;
}

}  // namespace

std::string Command::Usage() {
  std::string out = "NAME:\n";
  std::string path = Path();
  const std::string display = parent_ == nullptr ? name_ : path.substr(path.find(' ') + 1);
  absl::StrAppend(&out, "\t", display, " - ", short_help_, "\n\nUSAGE:\n\t");
  std::string use_line = parent_ == nullptr ? use_ : parent_->Path() + " " + use_;
  absl::StrAppend(&out, use_line, subcommands_.empty() ? " [flags]" : " [flags]", "\n");
  if (parent_ == nullptr) absl::StrAppend(&out, "\nVERSION:\n\t3.4.23\n");
  if (!subcommands_.empty()) {
    absl::StrAppend(&out, "\nAPI VERSION:\n\t3.4\n\n\nCOMMANDS:\n");
    std::vector<Command*> subs;
    for (auto& s : subcommands_) subs.push_back(s.get());
    std::sort(subs.begin(), subs.end(),
              [](Command* a, Command* b) { return a->name() < b->name(); });
    for (Command* s : subs) absl::StrAppend(&out, "\t", s->name(), "\t", s->short_help(), "\n");
  }
  // cobra's own -h/--help, listed with the command's flags.
  bool help_value = false;
  Flag help;
  help.name_ = "help";
  help.shorthand_ = 'h';
  help.usage_ = "help for " + name_;
  help.default_text_ = "false";
  help.target_ = &help_value;
  std::vector<Flag*> local = {&help};
  for (auto& f : flags_.flags()) local.push_back(f.get());
  for (auto& f : persistent_flags_.flags()) local.push_back(f.get());
  if (parent_ != nullptr) {
    absl::StrAppend(&out, "\nOPTIONS:\n", FlagHelpLines(local));
    absl::StrAppend(&out, "\nGLOBAL OPTIONS:\n", FlagHelpLines(InheritedFlags()));
  } else {
    absl::StrAppend(&out, "\nOPTIONS:\n", FlagHelpLines(local));
  }
  return out;
}

namespace {

// Levenshtein distance, ignoring case (cobra's ld).
int Distance(absl::string_view a, absl::string_view b) {
  std::string s = absl::AsciiStrToLower(a), t = absl::AsciiStrToLower(b);
  std::vector<int> prev(t.size() + 1), cur(t.size() + 1);
  for (size_t j = 0; j <= t.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= s.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= t.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[t.size()];
}

bool IsBool(Flag* f) { return f != nullptr && f->kind() == Flag::Kind::kBool; }

// cobra's stripFlags: the words of `args` that are not flags or flag values.
std::vector<std::string> CommandWords(Command& c, const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--") break;
    const bool long_needs_value = absl::StartsWith(s, "--") && !absl::StrContains(s, '=') &&
                                  !IsBool(c.FindFlag(s.substr(2)));
    const bool short_needs_value = !absl::StartsWith(s, "--") && absl::StartsWith(s, "-") &&
                                   !absl::StrContains(s, '=') && s.size() == 2 &&
                                   !IsBool(c.FindShorthand(s[1]));
    if (long_needs_value || short_needs_value) {
      if (args.size() - i <= 2) break;
      ++i;
      continue;
    }
    if (!s.empty() && s[0] != '-') words.push_back(s);
  }
  return words;
}

Command* FindNext(Command& c, absl::string_view word) {
  std::vector<Command*> matches;
  for (auto& sub : c.subcommands()) {
    if (sub->name() == word) return sub.get();
    if (absl::StartsWith(sub->name(), word)) matches.push_back(sub.get());
  }
  return matches.size() == 1 ? matches[0] : nullptr;
}

std::string Suggestions(Command& c, absl::string_view typed) {
  std::vector<Command*> subs;
  for (auto& s : c.subcommands()) {
    if (s->name() != "help") subs.push_back(s.get());
  }
  std::sort(subs.begin(), subs.end(), [](Command* a, Command* b) { return a->name() < b->name(); });
  std::string out;
  for (Command* s : subs) {
    if (Distance(typed, s->name()) <= 2 ||
        absl::StartsWith(absl::AsciiStrToLower(s->name()), absl::AsciiStrToLower(typed))) {
      absl::StrAppend(&out, "\t", s->name(), "\n");
    }
  }
  return out.empty() ? "" : "\n\nDid you mean this?\n" + out;
}

absl::Status SetFlag(Flag* f, absl::string_view value) {
  absl::Status s = f->Set(value);
  if (s.ok()) return s;
  const std::string name = f->shorthand() ? absl::StrFormat("-%c, --%s", f->shorthand(), f->name())
                                          : absl::StrCat("--", f->name());
  return absl::InvalidArgumentError(absl::StrFormat("invalid argument \"%s\" for \"%s\" flag: %s",
                                                    value, name, s.message()));
}

}  // namespace

absl::Status ParseCommandLine(Command& root, const std::vector<std::string>& args,
                              ParsedCommandLine& out) {
  // Find the command: walk down while the next word names a subcommand.
  Command* cmd = &root;
  std::vector<std::string> rest = args;
  while (true) {
    std::vector<std::string> words = CommandWords(*cmd, rest);
    if (words.empty()) break;
    Command* next = FindNext(*cmd, words[0]);
    if (next == nullptr) break;
    auto it = std::find(rest.begin(), rest.end(), words[0]);
    rest.erase(it);
    cmd = next;
  }
  out.command = cmd;
  if (cmd == &root && !root.subcommands().empty()) {
    std::vector<std::string> words = CommandWords(*cmd, rest);
    if (!words.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("unknown command \"%s\" for \"%s\"%s",
                                                        words[0], root.name(),
                                                        Suggestions(root, words[0])));
    }
  }

  // Parse the flags (pflag's parseArgs, interspersed).
  Invocation& inv = out.invocation;
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string& s = rest[i];
    if (s.size() < 2 || s[0] != '-') {
      inv.args.push_back(s);
      continue;
    }
    if (s[1] == '-') {
      if (s.size() == 2) {
        inv.args_len_at_dash = static_cast<int>(inv.args.size());
        inv.args.insert(inv.args.end(), rest.begin() + i + 1, rest.end());
        break;
      }
      absl::string_view name = absl::string_view(s).substr(2);
      if (name[0] == '-' || name[0] == '=') {
        return absl::InvalidArgumentError(absl::StrCat("bad flag syntax: ", s));
      }
      std::optional<absl::string_view> value;
      if (size_t eq = name.find('='); eq != absl::string_view::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      Flag* f = cmd->FindFlag(name);
      if (f == nullptr) {
        if (name == "help") {
          out.help = true;
          continue;
        }
        return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
      }
      if (!value.has_value()) {
        if (f->kind() == Flag::Kind::kBool) {
          value = "true";
        } else if (i + 1 < rest.size()) {
          value = rest[++i];
        } else {
          return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: ", s));
        }
      }
      if (absl::Status st = SetFlag(f, *value); !st.ok()) return st;
      continue;
    }
    // Shorthands: -w json, -wjson, -w=json, -il (several bools).
    absl::string_view shorts = absl::string_view(s).substr(1);
    while (!shorts.empty()) {
      const char c = shorts[0];
      Flag* f = cmd->FindShorthand(c);
      if (f == nullptr) {
        if (c == 'h') {
          out.help = true;
          shorts.remove_prefix(1);
          continue;
        }
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown shorthand flag: '%c' in -%s", c, shorts));
      }
      std::string value;
      if (shorts.size() > 2 && shorts[1] == '=') {
        value = std::string(shorts.substr(2));
        shorts = {};
      } else if (f->kind() == Flag::Kind::kBool) {
        value = "true";
        shorts.remove_prefix(1);
      } else if (shorts.size() > 1) {
        value = std::string(shorts.substr(1));
        shorts = {};
      } else if (i + 1 < rest.size()) {
        value = rest[++i];
        shorts = {};
      } else {
        return absl::InvalidArgumentError(
            absl::StrFormat("flag needs an argument: '%c' in -%s", c, shorts));
      }
      if (absl::Status st = SetFlag(f, value); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace etcd::etcdctl
