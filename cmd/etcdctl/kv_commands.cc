// get, put, del, txn, compaction (etcdctl 3.4 get_command.go, put_command.go, del_command.go,
// txn_command.go, compaction_command.go).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/etcdctl/commands.h"
#include "cmd/etcdctl/go_format.h"
#include "cmd/etcdctl/txn_parse.h"

namespace etcd::etcdctl {
namespace {

using client::Op;

std::string ReadAllStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// The key and the range options of get and del (etcdctl's getGetOp and getDelOp): a second
// argument is the range end, refused with --prefix or --from-key; an empty key with either of
// those means every key. Exits on a bad argument. REQUIRES: !args.empty().
template <typename Options>
std::string KeyRange(const std::vector<std::string>& args, bool prefix, bool from_key,
                     Options* o) {
  std::string key = args[0];
  if (args.size() > 1) {
    if (prefix || from_key) {
      ExitWithError(kExitBadArgs, "too many arguments, only accept one argument when "
                                  "`--prefix` or `--from-key` is set");
    }
    o->range_end = args[1];
  }
  if (prefix) {
    if (key.empty()) {
      key = std::string(1, '\0');
      o->from_key = true;
    } else {
      o->prefix = true;
    }
  }
  if (from_key) {
    if (key.empty()) key = std::string(1, '\0');
    o->from_key = true;
    o->prefix = false;
  }
  return key;
}

// ---- get ----

struct GetFlags {
  std::string consistency = "l";
  std::string order, sort_by;
  int64_t limit = 0;
  bool prefix = false, from_key = false;
  int64_t rev = 0;
  bool keys_only = false, print_value_only = false;

  void Register(FlagSet& f) {
    f.String("consistency", 0, &consistency, "Linearizable(l) or Serializable(s)");
    f.String("order", 0, &order, "Order of results; ASCEND or DESCEND (ASCEND by default)");
    f.String("sort-by", 0, &sort_by, "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION");
    f.Int64("limit", 0, &limit, "Maximum number of results");
    f.Bool("prefix", 0, &prefix, "Get keys with matching prefix");
    f.Bool("from-key", 0, &from_key,
           "Get keys that are greater than or equal to the given key using byte compare");
    f.Int64("rev", 0, &rev, "Specify the kv revision");
    f.Bool("keys-only", 0, &keys_only, "Get only the keys");
    f.Bool("print-value-only", 0, &print_value_only,
           "Only write values when using the \"simple\" output format");
  }

  // getGetOp: the key and the options, or exit.
  std::pair<std::string, client::GetOptions> Build(const std::vector<std::string>& args) const {
    if (args.empty()) {
      ExitWithError(kExitBadArgs,
                    "get command needs one argument as key and an optional argument as range_end");
    }
    if (prefix && from_key) {
      ExitWithError(kExitBadArgs,
                    "`--prefix` and `--from-key` cannot be set at the same time, choose one");
    }
    client::GetOptions o;
    if (consistency == "s") {
      o.serializable = true;
    } else if (consistency != "l") {
      ExitWithError(kExitBadFeature, "unknown consistency flag " + GoQuoted(consistency));
    }
    const std::string key = KeyRange(args, prefix, from_key, &o);
    o.limit = limit;
    if (rev > 0) o.revision = rev;
    const std::string ord = absl::AsciiStrToUpper(order);
    if (ord == "ASCEND") {
      o.sort_order = etcdserverpb::RangeRequest::ASCEND;
    } else if (ord == "DESCEND") {
      o.sort_order = etcdserverpb::RangeRequest::DESCEND;
    } else if (!ord.empty()) {
      ExitWithError(kExitBadFeature, "bad sort order " + order);
    }
    const std::string target = absl::AsciiStrToUpper(sort_by);
    if (target == "CREATE") {
      o.sort_target = etcdserverpb::RangeRequest::CREATE;
    } else if (target == "KEY" || target.empty()) {
      o.sort_target = etcdserverpb::RangeRequest::KEY;
    } else if (target == "MODIFY") {
      o.sort_target = etcdserverpb::RangeRequest::MOD;
    } else if (target == "VALUE") {
      o.sort_target = etcdserverpb::RangeRequest::VALUE;
    } else if (target == "VERSION") {
      o.sort_target = etcdserverpb::RangeRequest::VERSION;
    } else {
      ExitWithError(kExitBadFeature, "bad sort target " + sort_by);
    }
    // clientv3.WithSort: sorting by key ascending is what the server does anyway.
    if (o.sort_target == etcdserverpb::RangeRequest::KEY &&
        o.sort_order == etcdserverpb::RangeRequest::ASCEND) {
      o.sort_order = etcdserverpb::RangeRequest::NONE;
    }
    o.keys_only = keys_only;
    return {key, o};
  }
};

// ---- put ----

struct PutFlags {
  std::string lease = "0";
  bool prev_kv = false, ignore_value = false, ignore_lease = false;

  void Register(FlagSet& f) {
    f.String("lease", 0, &lease, "lease ID (in hexadecimal) to attach to the key");
    f.Bool("prev-kv", 0, &prev_kv, "return the previous key-value pair before modification");
    f.Bool("ignore-value", 0, &ignore_value, "updates the key using its current value");
    f.Bool("ignore-lease", 0, &ignore_lease, "updates the key using its current lease");
  }

  // getPutOp: key, value and options, or exit.
  struct Result {
    std::string key, value;
    client::PutOptions options;
  };
  // `stdin_ok` false: a txn line, whose stdin etcdctl has already buffered away.
  Result Build(const std::vector<std::string>& args, bool stdin_ok = true) const {
    static constexpr char kNeeds[] =
        "put command needs 1 argument and input from stdin or 2 arguments";
    if (args.empty()) ExitWithError(kExitBadArgs, kNeeds);
    Result r;
    r.key = args[0];
    if (ignore_value && args.size() > 1) {
      ExitWithError(kExitBadArgs, "put command needs only 1 argument when 'ignore-value' is set");
    }
    if (!ignore_value) {
      if (args.size() > 1) {
        r.value = args[1];
      } else {
        if (stdin_ok) r.value = ReadAllStdin();
        if (r.value.empty()) ExitWithError(kExitBadArgs, kNeeds);
      }
    }
    auto id = ParseGoInt64(lease, 16);
    if (!id.ok()) {
      ExitWithError(kExitBadArgs,
                    absl::StrCat("bad lease ID (", id.status().message(), "), expecting ID in Hex"));
    }
    r.options.lease = *id;
    r.options.prev_kv = prev_kv;
    r.options.ignore_value = ignore_value;
    r.options.ignore_lease = ignore_lease;
    return r;
  }
};

// ---- del ----

struct DelFlags {
  bool prefix = false, prev_kv = false, from_key = false;

  void Register(FlagSet& f) {
    f.Bool("prefix", 0, &prefix, "delete keys with matching prefix");
    f.Bool("prev-kv", 0, &prev_kv, "return deleted key-value pairs");
    f.Bool("from-key", 0, &from_key,
           "delete keys that are greater than or equal to the given key using byte compare");
  }

  std::pair<std::string, client::DeleteOptions> Build(const std::vector<std::string>& args) const {
    if (args.empty() || args.size() > 2) {
      ExitWithError(kExitBadArgs,
                    "del command needs one argument as key and an optional argument as range_end");
    }
    if (prefix && from_key) {
      ExitWithError(kExitBadArgs,
                    "`--prefix` and `--from-key` cannot be set at the same time, choose one");
    }
    client::DeleteOptions o;
    const std::string key = KeyRange(args, prefix, from_key, &o);
    o.prev_kv = prev_kv;
    return {key, o};
  }
};

// ---- txn ----

// One request line of a txn ("put k v", "get k --prefix", "del k"), parsed with the same
// commands and flags as on the command line (etcdctl's parseRequestUnion).
std::optional<Op> ParseRequestLine(absl::string_view line) {
  std::vector<std::string> args = Argify(line);
  if (args.size() < 2) return std::nullopt;
  GetFlags get;
  PutFlags put;
  DelFlags del;
  Command root("txn-request", "");
  std::optional<Op> op;
  // A request kind: its command, with its flags, sets `op` from the arguments.
  const auto add = [&](const char* name, auto& flags, auto make_op) {
    Command& cmd = AddCommand(root, name, "");
    flags.Register(cmd.flags());
    cmd.run = [&op, &flags, make_op](const Invocation& inv) {
      op = make_op(flags, inv.args);
      return 0;
    };
  };
  using Args = std::vector<std::string>;
  add("put", put, [](const PutFlags& f, const Args& args) {
    auto r = f.Build(args, /*stdin_ok=*/false);
    return Op::Put(r.key, r.value, r.options);
  });
  add("get", get, [](const GetFlags& f, const Args& args) {
    auto [key, o] = f.Build(args);
    return Op::Get(key, o);
  });
  add("del", del, [](const DelFlags& f, const Args& args) {
    auto [key, o] = f.Build(args);
    return Op::Delete(key, o);
  });
  ParsedCommandLine parsed;
  if (!ParseCommandLine(root, args, parsed).ok() || parsed.help || !parsed.command->run) {
    return std::nullopt;
  }
  parsed.command->run(parsed.invocation);
  return op;
}

// Reads lines up to an empty one; exits on a read error (EOF included), as etcdctl.
std::vector<std::string> ReadSection() {
  std::vector<std::string> lines;
  while (true) {
    std::string line;
    if (!std::getline(std::cin, line) || std::cin.eof()) {
      ExitWithError(kExitInvalidInput, "EOF");
    }
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) return lines;
    lines.emplace_back(trimmed);
  }
}

int RunTxn(Globals& g, Command& cmd, bool interactive, const Invocation& inv) {
  if (!inv.args.empty()) ExitWithError(kExitBadArgs, "txn command does not accept argument");
  g.Setup(cmd);
  client::Client& c = g.Client();
  const auto prompt = [&](absl::string_view s) {
    if (interactive) {
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  };
  client::Txn txn = c.Txn();
  prompt("compares:");
  std::vector<client::Compare> compares;
  for (const std::string& line : ReadSection()) {
    auto cmp = ParseCompare(line);
    if (!cmp.ok()) ExitWithError(kExitInvalidInput, cmp.status().message());
    compares.push_back(*cmp);
  }
  txn.If(compares);
  const auto read_ops = [&] {
    std::vector<Op> ops;
    for (const std::string& line : ReadSection()) {
      std::optional<Op> op = ParseRequestLine(line);
      if (!op.has_value()) ExitWithError(kExitInvalidInput, "invalid txn request: " + line);
      ops.push_back(*op);
    }
    return ops;
  };
  prompt("success requests (get, put, del):");
  txn.Then(read_ops());
  prompt("failure requests (get, put, del):");
  txn.Else(read_ops());
  g.display().Txn(Must(txn.Commit(), g));
  return 0;
}

}  // namespace

void AddKVCommands(Command& root, Globals& g) {
  {
    auto flags = std::make_shared<GetFlags>();
    Command& cmd = AddCommand(root, "get [options] <key> [range_end]",
                              "Gets the key or a range of keys");
    flags->Register(cmd.flags());
    cmd.run = [&g, &cmd, flags](const Invocation& inv) {
      auto [key, options] = flags->Build(inv.args);
      g.Setup(cmd);
      auto resp = Must(g.Client().Get(key, options), g);
      if (flags->print_value_only) {
        if (!g.simple_output()) {
          ExitWithError(kExitBadArgs, "print-value-only is only for `--write-out=simple`");
        }
        SetValueOnly(g.display());
      }
      g.display().Get(resp);
      return 0;
    };
  }
  {
    auto flags = std::make_shared<PutFlags>();
    Command& cmd = AddCommand(root,
                              "put [options] <key> <value> (<value> can also be given from stdin)",
                              "Puts the given key into the store");
    flags->Register(cmd.flags());
    cmd.run = [&g, &cmd, flags](const Invocation& inv) {
      auto r = flags->Build(inv.args);
      g.Setup(cmd);
      g.display().Put(Must(g.Client().Put(r.key, r.value, r.options), g));
      return 0;
    };
  }
  {
    auto flags = std::make_shared<DelFlags>();
    Command& cmd = AddCommand(root, "del [options] <key> [range_end]",
                              "Removes the specified key or range of keys [key, range_end)");
    flags->Register(cmd.flags());
    cmd.run = [&g, &cmd, flags](const Invocation& inv) {
      auto [key, options] = flags->Build(inv.args);
      g.Setup(cmd);
      g.display().Del(Must(g.Client().Delete(key, options), g));
      return 0;
    };
  }
  {
    auto interactive = std::make_shared<bool>(false);
    Command& cmd =
        AddCommand(root, "txn [options]", "Txn processes all the requests in one transaction");
    cmd.flags().Bool("interactive", 'i', interactive.get(), "Input transaction in interactive mode");
    cmd.run = [&g, &cmd, interactive](const Invocation& inv) {
      return RunTxn(g, cmd, *interactive, inv);
    };
  }
  {
    auto physical = std::make_shared<bool>(false);
    Command& cmd = AddCommand(root, "compaction [options] <revision>",
                              "Compacts the event history in etcd");
    cmd.flags().Bool("physical", 0, physical.get(),
                     "'true' to wait for compaction to physically remove all old revisions");
    cmd.run = [&g, &cmd, physical](const Invocation& inv) {
      if (inv.args.size() != 1) ExitWithError(kExitBadArgs, "compaction command needs 1 argument");
      auto rev = ParseGoInt64(inv.args[0], 10);
      if (!rev.ok()) ExitWithError(kExitError, rev.status().message());
      g.Setup(cmd);
      Must(g.Client().Compact(*rev, *physical), g);
      std::printf("compacted revision %lld\n", static_cast<long long>(*rev));
      return 0;
    };
  }
}

}  // namespace etcd::etcdctl
