"""Offline stub of bazel_skylib's selects, for the Abseil sources built under --config=tsan.

Abseil 20220623 uses selects.config_setting_group once, for `//absl:wasm` (any WebAssembly
CPU). kfed never targets WebAssembly, so the group is a config_setting that never matches;
the WebAssembly constraints it would name (absent from Bazel 4.2's @platforms) are never
loaded.
"""

def _config_setting_group(name, match_any = [], match_all = [], visibility = None):
    native.config_setting(
        name = name,
        define_values = {"kfed_stub_config_setting_group_never_matches": name},
        visibility = visibility,
    )

selects = struct(config_setting_group = _config_setting_group)
