"""Protocol Buffers and gRPC code generation with Debian's protoc and grpc_cpp_plugin.

cc_proto(name, src, deps, grpc) runs the system `protoc` on one `.proto` and wraps the generated
messages in a cc_library named `name` and, with grpc = True, the service stubs in `name_grpc`. Imports resolve against the workspace root, so a file at
`api/etcdserverpb/rpc.proto` is imported as "api/etcdserverpb/rpc.proto" and its generated header
is included as "api/etcdserverpb/rpc.pb.h".
"""

def cc_proto(name, src, deps = [], proto_deps = [], grpc = False, visibility = None, testonly = False):
    """Generates C++ (and optionally gRPC) code for one .proto file.

    Args:
      name: the cc_library to create.
      src: the .proto file, in this package.
      deps: cc_proto targets whose .proto files `src` imports.
      proto_deps: the .proto files of those deps (for protoc to read).
      grpc: also generate gRPC service stubs, as the library `name + "_grpc"`.
      visibility: of the cc_library.
      testonly: as for cc_library.
    """
    base = src[:-len(".proto")]
    outs = [base + ".pb.h", base + ".pb.cc"]
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    pkg = native.package_name()
    grpc_flags = " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin" if grpc else ""
    native.genrule(
        name = name + "_gen",
        srcs = [src] + proto_deps,
        outs = outs,
        cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR)" + grpc_flags + " " +
              (pkg + "/" if pkg else "") + src,
        testonly = testonly,
    )
    # Messages and services in separate libraries, so that code that only handles messages
    # (the server core, the apply layer) does not depend on gRPC.
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        deps = deps + ["//third_party:protobuf"],
        visibility = visibility,
        testonly = testonly,
    )
    if grpc:
        native.cc_library(
            name = name + "_grpc",
            srcs = [base + ".grpc.pb.cc"],
            hdrs = [base + ".grpc.pb.h"],
            deps = [":" + name, "//third_party:grpc"],
            visibility = visibility,
            testonly = testonly,
        )
