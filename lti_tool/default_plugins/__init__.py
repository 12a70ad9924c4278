"""Built-in answers to every question hook, registered like any other plugin, ``trylast``."""
