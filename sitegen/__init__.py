"""sitegen: a static website generator for news archives."""

from sitegen.errors import BuildError, ConfigError, Diagnostic, SitegenError

__version__ = "0.1.0"

__all__ = ["BuildError", "ConfigError", "Diagnostic", "SitegenError", "__version__"]
