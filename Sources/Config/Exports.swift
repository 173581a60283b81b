// A run config's errors, differences and canonical values are ConfigCoding's types: whoever reads a
// config (`import Config`) catches a `ConfigError` without importing the machinery that made it.
@_exported import ConfigCoding
