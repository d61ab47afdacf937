"""Build macros for kfed: warnings as errors on project code, and protobuf/gRPC codegen
with Debian's protoc and grpc_cpp_plugin (no network, no rules_proto)."""

KFED_COPTS = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

def kfed_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = KFED_COPTS + copts, **kwargs)

# Sanitizer runtime options (empty unless a sanitizer config is on): every binary and test.
SANITIZER_OPTIONS = ["//third_party/sanitizers:options"]

def kfed_cc_binary(name, copts = [], deps = [], **kwargs):
    native.cc_binary(name = name, copts = KFED_COPTS + copts, deps = deps + SANITIZER_OPTIONS, **kwargs)

def kfed_cc_test(name, copts = [], deps = [], **kwargs):
    """A GoogleTest test; links gtest_main unless deps already name a main."""
    native.cc_test(name = name, copts = KFED_COPTS + copts, deps = deps + SANITIZER_OPTIONS, **kwargs)

def kfed_proto_library(name, src, grpc = False, deps = [], visibility = None, testonly = False):
    """Generates C++ (and optionally gRPC) code for one .proto with the system protoc.

    Produces a cc_library `name` exposing `<base>.pb.h` (and `<base>.grpc.pb.h`); `testonly`
    for a proto that only tests use.
    """
    base = src[:-len(".proto")]
    outs = [base + ".pb.h", base + ".pb.cc"]
    plugin = ""
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
        plugin = " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin)"
    native.genrule(
        name = name + "_codegen",
        srcs = [src],
        outs = outs,
        cmd = "protoc --proto_path=. --cpp_out=$(GENDIR)" + plugin + " $(SRCS)",
        message = "protoc " + src,
        testonly = testonly,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        # Generated code is not held to the project's -Werror.
        copts = ["-std=c++17", "-w"],
        deps = deps + ["//third_party:protobuf"] + (["//third_party:grpc"] if grpc else []),
        visibility = visibility,
        testonly = testonly,
    )
