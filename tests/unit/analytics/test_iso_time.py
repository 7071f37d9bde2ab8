from datetime import UTC, datetime

import numpy as np

from quantbot.analytics.iso_time import iso_utc, iso_utc_array


def test_times_are_iso_utc_with_milliseconds_and_read_back_exactly() -> None:
    ts_ms = np.array([0, 1_704_067_200_123])

    text = iso_utc_array(ts_ms)

    assert text.tolist() == ["1970-01-01T00:00:00.000Z", "2024-01-01T00:00:00.123Z"]
    back = datetime.fromisoformat(str(text[1]))
    assert back.tzinfo is not None
    assert back == datetime(2024, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC)


def test_no_time_stays_none() -> None:
    assert iso_utc(None) is None
    assert iso_utc(60_000) == "1970-01-01T00:01:00.000Z"
