// The command-line parser against cobra/pflag's behaviour as etcdctl 3.4 shows it.
#include "cmd/etcdctl/flags.h"

#include <gtest/gtest.h>

namespace etcd::etcdctl {
namespace {

// A small tree: root (global --endpoints, -w, --debug), get (--rev, --prefix), lease grant,
// compaction, and a sibling starting like it (compare).
struct Tree {
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  std::string write_out = "simple";
  bool debug = false;
  int64_t rev = 0;
  bool prefix = false;
  absl::Duration timeout = absl::Seconds(5);
  Command root{"etcdctl", "root"};
  Command* get;
  Command* grant;
  Command* compaction;

  Tree() {
    root.persistent_flags().StringSlice("endpoints", 0, &endpoints, "gRPC endpoints");
    root.persistent_flags().String("write-out", 'w', &write_out, "format");
    root.persistent_flags().Bool("debug", 0, &debug, "debug");
    root.persistent_flags().Duration("command-timeout", 0, &timeout, "timeout");
    get = &root.AddCommand(std::make_unique<Command>("get [options] <key>", "Gets"));
    get->flags().Int64("rev", 0, &rev, "revision");
    get->flags().Bool("prefix", 0, &prefix, "prefix");
    Command& lease = root.AddCommand(std::make_unique<Command>("lease <subcommand>", "Leases"));
    grant = &lease.AddCommand(std::make_unique<Command>("grant <ttl>", "Grants"));
    compaction = &root.AddCommand(std::make_unique<Command>("compaction <rev>", "Compacts"));
    root.AddCommand(std::make_unique<Command>("check <subcommand>", "Checks"));
  }

  absl::Status Parse(const std::vector<std::string>& args, ParsedCommandLine& out) {
    return ParseCommandLine(root, args, out);
  }
};

TEST(ParseCommandLineTest, FlagsBeforeBetweenAndAfterArguments) {
  Tree t;
  ParsedCommandLine p;
  ASSERT_TRUE(t.Parse({"--endpoints=a:1,b:2", "get", "k", "--rev", "7", "end", "-w", "json",
                       "--prefix"},
                      p)
                  .ok());
  EXPECT_EQ(p.command, t.get);
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"k", "end"}));
  EXPECT_EQ(t.rev, 7);
  EXPECT_TRUE(t.prefix);
  EXPECT_EQ(t.write_out, "json");
  EXPECT_EQ(t.endpoints, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(p.invocation.args_len_at_dash, -1);
}

TEST(ParseCommandLineTest, ShorthandForms) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"get", "-wfields", "k"}, {"get", "-w=fields", "k"}, {"get", "-w", "fields", "k"}}) {
    Tree t;
    ParsedCommandLine p;
    ASSERT_TRUE(t.Parse(args, p).ok()) << args[1];
    EXPECT_EQ(t.write_out, "fields");
    EXPECT_EQ(p.invocation.args, std::vector<std::string>{"k"});
  }
}

TEST(ParseCommandLineTest, DoubleDashEndsFlags) {
  Tree t;
  ParsedCommandLine p;
  ASSERT_TRUE(t.Parse({"get", "--prefix", "--", "-k", "--rev"}, p).ok());
  EXPECT_EQ(p.invocation.args, (std::vector<std::string>{"-k", "--rev"}));
  EXPECT_EQ(p.invocation.args_len_at_dash, 0);
  EXPECT_TRUE(t.prefix);
}

TEST(ParseCommandLineTest, BoolFlagValues) {
  Tree t;
  ParsedCommandLine p;
  ASSERT_TRUE(t.Parse({"get", "--prefix=false", "--debug=T", "k"}, p).ok());
  EXPECT_FALSE(t.prefix);
  EXPECT_TRUE(t.debug);
  Tree t2;
  EXPECT_EQ(t2.Parse({"get", "--prefix=maybe", "k"}, p).message(),
            "invalid argument \"maybe\" for \"--prefix\" flag: strconv.ParseBool: parsing "
            "\"maybe\": invalid syntax");
}

TEST(ParseCommandLineTest, SubcommandsAndUniquePrefixes) {
  Tree t;
  ParsedCommandLine p;
  ASSERT_TRUE(t.Parse({"lease", "grant", "10"}, p).ok());
  EXPECT_EQ(p.command, t.grant);
  EXPECT_EQ(p.invocation.args, std::vector<std::string>{"10"});
  ParsedCommandLine q;
  ASSERT_TRUE(t.Parse({"compact", "5"}, q).ok());  // cobra.EnablePrefixMatching
  EXPECT_EQ(q.command, t.compaction);
  ParsedCommandLine r;  // "c" is ambiguous (compaction, check): not a command
  EXPECT_EQ(t.Parse({"c"}, r).message(),
            "unknown command \"c\" for \"etcdctl\"\n\nDid you mean this?\n\tcheck\n"
            "\tcompaction\n");
}

TEST(ParseCommandLineTest, UnknownCommandSuggestsNearNames) {
  Tree t;
  ParsedCommandLine p;
  EXPECT_EQ(t.Parse({"gett"}, p).message(),
            "unknown command \"gett\" for \"etcdctl\"\n\nDid you mean this?\n\tget\n");
  EXPECT_EQ(t.Parse({"zzzzzz"}, p).message(), "unknown command \"zzzzzz\" for \"etcdctl\"");
}

TEST(ParseCommandLineTest, PflagErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"get", "--foo"}, "unknown flag: --foo"},
      {{"get", "-x"}, "unknown shorthand flag: 'x' in -x"},
      {{"get", "-xyz"}, "unknown shorthand flag: 'x' in -xyz"},
      {{"get", "k", "--rev"}, "flag needs an argument: --rev"},
      {{"get", "k", "-w"}, "flag needs an argument: 'w' in -w"},
      {{"get", "--rev", "abc"},
       "invalid argument \"abc\" for \"--rev\" flag: strconv.ParseInt: parsing \"abc\": invalid "
       "syntax"},
      {{"get", "--rev=99999999999999999999"},
       "invalid argument \"99999999999999999999\" for \"--rev\" flag: strconv.ParseInt: parsing "
       "\"99999999999999999999\": value out of range"},
      {{"--command-timeout", "5"},
       "invalid argument \"5\" for \"--command-timeout\" flag: time: missing unit in duration "
       "\"5\""},
      {{"--command-timeout", "x"},
       "invalid argument \"x\" for \"--command-timeout\" flag: time: invalid duration \"x\""},
      {{"get", "---x"}, "bad flag syntax: ---x"},
  };
  for (const auto& [args, message] : cases) {
    Tree t;
    ParsedCommandLine p;
    EXPECT_EQ(t.Parse(args, p).message(), message) << args.back();
  }
}

TEST(ParseCommandLineTest, HelpAndChanged) {
  Tree t;
  ParsedCommandLine p;
  ASSERT_TRUE(t.Parse({"get", "-h"}, p).ok());
  EXPECT_TRUE(p.help);
  EXPECT_FALSE(t.get->FindFlag("rev")->changed());
  ParsedCommandLine q;
  ASSERT_TRUE(t.Parse({"get", "--rev", "0x10"}, q).ok());  // base 0, as pflag
  EXPECT_EQ(t.rev, 16);
  EXPECT_TRUE(t.get->FindFlag("rev")->changed());
  EXPECT_NE(t.get->FindFlag("endpoints"), nullptr);  // inherited
  EXPECT_EQ(t.grant->FindFlag("rev"), nullptr);      // local to get
  EXPECT_NE(t.get->Usage().find("--rev=0"), std::string::npos);
}

}  // namespace
}  // namespace etcd::etcdctl
