"""jaxsnn.run.progress: a tqdm bar when tqdm is installed, a plain stderr line otherwise; bad input is an error."""
import builtins
import io

import pytest

from jaxsnn import JaxsnnError
from jaxsnn.run import progress


def test_plain_line_reports_simulated_time_and_ends_with_a_newline():
    out = io.StringIO()
    bar = progress.bar(200.0, file=out, use_tqdm=False)
    bar.update(50.0)
    bar.update(200.0)
    bar.close()
    text = out.getvalue()
    assert "50.0/200.0 ms (25 %" in text and "200.0/200.0 ms (100 %" in text
    assert text.endswith("\n") and text.count("\n") == 1


def test_tqdm_bar_counts_milliseconds():
    pytest.importorskip("tqdm")  # an optional dependency; the test extra installs it
    out = io.StringIO()
    bar = progress.bar(1000.0, file=out)
    assert type(bar).__name__ == "_Tqdm"
    bar.update(250.0)
    bar.update(1000.0)
    assert bar._bar.n == pytest.approx(1000.0)
    bar.close()
    assert "1000.0/1000.0 ms" in out.getvalue()


def test_without_tqdm_falls_back_to_the_plain_line(monkeypatch):
    real_import = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    out = io.StringIO()
    bar = progress.bar(10.0, file=out)
    bar.update(10.0)
    bar.close()
    assert "[jaxsnn] 10.0/10.0 ms" in out.getvalue()
    with pytest.raises(ImportError):
        progress.bar(10.0, use_tqdm=True)


@pytest.mark.parametrize("use_tqdm", [False, None])
def test_time_going_backwards_or_past_the_end_is_an_error(use_tqdm):
    bar = progress.bar(100.0, file=io.StringIO(), use_tqdm=use_tqdm)
    bar.update(60.0)
    with pytest.raises(JaxsnnError, match="done_ms=50.0"):
        bar.update(50.0)
    with pytest.raises(JaxsnnError, match="done_ms=101"):
        bar.update(101.0)
    bar.close()
    with pytest.raises(JaxsnnError, match="total_ms=-1"):
        progress.bar(-1.0)
