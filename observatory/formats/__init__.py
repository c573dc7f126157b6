"""Number formats where Django's locale data differs from how the public sector of that language writes
numbers (settings FORMAT_MODULE_PATH: these come first, Django's own formats fill in the rest)."""
