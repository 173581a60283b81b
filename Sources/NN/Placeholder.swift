// placeholder until this module's first file lands
