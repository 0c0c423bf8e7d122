// etcdctl: our own CLI is issue "Our own etcdctl". Until then this binary says so and fails,
// rather than pretending; the real etcdctl 3.4 (Debian's etcd-client) works against our daemon.
#include <iostream>

int main() {
  std::cerr << "etcdctl: not implemented yet in etcd-cpp; use etcdctl 3.4 from Debian's "
               "etcd-client package (ETCDCTL_API=3 etcdctl ...)\n";
  return 1;
}
