"""The project's own error types: each carries one line a user can act on."""


class ArchstudyError(Exception):
    """A failure the user can fix; its message is one line naming the bad value."""


class ConfigError(ArchstudyError):
    """The study configuration is invalid (names the key path, the value, what is accepted)."""


class DataError(ArchstudyError):
    """A dataset could not be downloaded, verified or parsed (names the URL or file)."""


class RenderError(ArchstudyError):
    """The report could not be rendered (names the renderer and what failed)."""
