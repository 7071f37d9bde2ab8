import quantbot.logs


def test_all_pins_the_public_names() -> None:
    assert sorted(quantbot.logs.__all__) == sorted(
        [
            "MASK",
            "RESERVED_FIELDS",
            "ConsoleFormatter",
            "JsonFormatter",
            "LogEvent",
            "RedactingFormatter",
            "RedactingStreamHandler",
            "Redactor",
            "RotatingJsonFileHandler",
            "configure_logging",
            "default_redactor",
            "format_exception_redacted",
            "is_sensitive_key",
            "log_event",
            "record_context",
            "record_event",
            "reset_logging",
        ]
    )


def test_every_public_name_is_importable() -> None:
    for name in quantbot.logs.__all__:
        assert getattr(quantbot.logs, name) is not None
