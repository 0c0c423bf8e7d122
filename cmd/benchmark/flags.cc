#include "cmd/benchmark/flags.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace etcd::benchmark {
namespace {

absl::Status BadValue(const std::string& name, const std::string& value) {
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid argument \"%s\" for \"--%s\" flag", value, name));
}

}  // namespace

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

void FlagSet::Int(const std::string& name, int64_t* target, const std::string& help) {
  Add({name, help, std::to_string(*target), false, [=](const std::string& v) {
         return absl::SimpleAtoi(v, target) ? absl::OkStatus() : BadValue(name, v);
       }});
}

void FlagSet::Double(const std::string& name, double* target, const std::string& help) {
  Add({name, help, absl::StrFormat("%g", *target), false, [=](const std::string& v) {
         return absl::SimpleAtod(v, target) ? absl::OkStatus() : BadValue(name, v);
       }});
}

void FlagSet::Bool(const std::string& name, bool* target, const std::string& help) {
  Add({name, help, *target ? "true" : "false", true, [=](const std::string& v) {
         return absl::SimpleAtob(v, target) ? absl::OkStatus() : BadValue(name, v);
       }});
}

void FlagSet::String(const std::string& name, std::string* target, const std::string& help) {
  Add({name, help, "\"" + *target + "\"", false, [=](const std::string& v) {
         *target = v;
         return absl::OkStatus();
       }});
}

void FlagSet::List(const std::string& name, std::vector<std::string>* target,
                   const std::string& help) {
  Add({name, help, "[" + absl::StrJoin(*target, ",") + "]", false, [=](const std::string& v) {
         *target = absl::StrSplit(v, ',', absl::SkipWhitespace());
         return target->empty() ? BadValue(name, v) : absl::OkStatus();
       }});
}

void FlagSet::Duration(const std::string& name, std::chrono::nanoseconds* target,
                       const std::string& help) {
  Add({name, help, absl::FormatDuration(absl::FromChrono(*target)), false,
       [=](const std::string& v) {
         absl::Duration d;
         if (!absl::ParseDuration(v, &d) || d < absl::ZeroDuration()) return BadValue(name, v);
         *target = absl::ToChronoNanoseconds(d);
         return absl::OkStatus();
       }});
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(
    const std::vector<std::string>& args) const {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    auto flag = std::find_if(flags_.begin(), flags_.end(),
                             [&](const Flag& f) { return f.name == name; });
    if (flag == flags_.end()) {
      return absl::InvalidArgumentError("unknown flag: --" + name);
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError("flag needs an argument: --" + name);
      }
    }
    if (absl::Status s = flag->set(value); !s.ok()) return s;
  }
  return positional;
}

std::string FlagSet::Usage() const {
  std::vector<const Flag*> sorted;
  for (const Flag& f : flags_) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::string out;
  for (const Flag* f : sorted) {
    absl::StrAppendFormat(&out, "      --%-24s %s (default %s)\n", f->name, f->help,
                          f->default_value);
  }
  return out;
}

}  // namespace etcd::benchmark
