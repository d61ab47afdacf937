"""libFuzzer targets that also replay their corpus as a normal unit test.

kfed_cc_fuzzer(name = "x_fuzzer", srcs = ["x_fuzzer.cc"], deps = [...], corpus = "testdata/x")
defines:
  - `x_fuzzer`: the libFuzzer binary (tags fuzz + manual). Build it with clang:
        bazel build --config=fuzz //pkg:x_fuzzer
    (--config=fuzz instruments every library with -fsanitize=fuzzer-no-link,address,undefined;
    this target adds -fsanitize=fuzzer at link time). hack/fuzz.sh builds and runs them.
  - `x_fuzzer_corpus_test`: the same LLVMFuzzerTestOneInput linked with
    //base:fuzz_replay_main, which runs every file of the corpus once. A normal unit test
    (gcc, and under --config=sanitize), so crashes fixed earlier stay fixed.
  - `x_fuzzer_corpus`: a filegroup of the corpus (and `dict`, when given, is exported).
"""

load("//bazel:kfed.bzl", "KFED_COPTS", "SANITIZER_OPTIONS")

def kfed_cc_fuzzer(name, srcs, deps, corpus, dict = None, max_len = 4096, size = "small"):
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob([corpus + "/**"]),
    )
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = KFED_COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        deps = deps + SANITIZER_OPTIONS,
        data = [":" + name + "_corpus"] + ([dict] if dict else []),
        tags = ["fuzz", "manual"],
        testonly = True,
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = size,
        srcs = srcs,
        copts = KFED_COPTS,
        args = ["$(rootpaths :%s_corpus)" % name],
        data = [":" + name + "_corpus"],
        deps = deps + SANITIZER_OPTIONS + ["//base:fuzz_replay_main"],
    )
