#include "testing/etcd_client.h"

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"

namespace etcd::testing {

std::unique_ptr<client::Client> ConnectClient(const std::string& endpoints) {
  client::ClientOptions options;
  options.endpoints = absl::StrSplit(endpoints, ',');
  auto c = client::Client::New(options);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

}  // namespace etcd::testing
