"""The Abseil 20220623.1 sources (Debian's, with Debian's patches), for --config=tsan only.

Debian's libabsl is not built with -fsanitize=thread, so TSan cannot see absl::Mutex,
absl::CondVar or absl::Notification synchronize and reports false races. Under
--config=tsan, //third_party:absl is built from these sources instead (with TSan, like the
rest of the build), using Abseil's own BUILD files. hack/abseil-src.sh fetches and unpacks
them (`apt-get source abseil`, Debian's patches applied: same headers and options as
/usr/include/absl) into $KFED_CACHE/abseil-src/abseil-20220623.1 (KFED_CACHE defaults to
~/.cache/kfed); KFED_ABSEIL_SRC names another directory.

The repository is only fetched when a target needs it (the TSan build); a normal build
never touches it.
"""

_VERSION_DIR = "abseil-src/abseil-20220623.1"

def _source_dir(ctx):
    env = ctx.os.environ
    if env.get("KFED_ABSEIL_SRC"):
        return env["KFED_ABSEIL_SRC"]
    cache = env.get("KFED_CACHE") or (env.get("HOME", "") + "/.cache/kfed")
    return cache + "/" + _VERSION_DIR

def _abseil_source_impl(ctx):
    src = ctx.path(_source_dir(ctx))
    if not src.exists or not src.get_child("absl").exists:
        fail("Abseil sources not found at %s: run hack/abseil-src.sh (the TSan build compiles " % src +
             "Abseil with -fsanitize=thread; see docs/reliability.md)")
    for child in src.readdir():
        if child.basename in ("WORKSPACE", "WORKSPACE.bazel"):
            continue
        ctx.symlink(child, child.basename)
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

abseil_source_repository = repository_rule(
    implementation = _abseil_source_impl,
    environ = ["KFED_ABSEIL_SRC", "KFED_CACHE", "HOME"],
    local = True,
)
