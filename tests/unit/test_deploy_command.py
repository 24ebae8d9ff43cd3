"""``vpndiag deploy`` on the command line: bad input and cloud errors are one line, never a
traceback, and never show the credentials."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import responses

from vpndiag.cli import main

SECRET = "deploy-secret-never-shown"


@pytest.fixture
def zips(tmp_path: Path) -> Path:
    for function in ("archive", "sweep", "report"):
        (tmp_path / f"{function}.zip").write_bytes(b"zip")
    return tmp_path


def test_no_credentials_is_bad_input(
    zips: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ALIBABA_CLOUD_ACCESS_KEY_ID a real deployment exits 2 naming the variable."""
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    code = main(["deploy", "--code-bucket", "my-code", "--packages", str(zips)])
    err = capsys.readouterr().err

    assert code == 2
    assert err.count("\n") == 1
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in err


def test_a_missing_package_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--packages naming a directory without the zips exits 2 naming what is missing."""
    code = main(["deploy", "--code-bucket", "my-code", "--packages", str(tmp_path)])
    err = capsys.readouterr().err

    assert code == 2
    assert "archive.zip" in err
    assert "Traceback" not in err


def test_a_refused_signature_is_one_line_without_the_secret(
    zips: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """OSS refusing the keys (SignatureDoesNotMatch, whose real body echoes the string to sign)
    exits 1 with the code and no secret anywhere in the output."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIdeployTest")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    body = (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message>"
        "<StringToSign>x</StringToSign><OSSAccessKeyId>LTAIdeployTest</OSSAccessKeyId></Error>"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.GET,
            re.compile(r"https://my-code\.oss-cn-hangzhou\.aliyuncs\.com/.*"),
            body=body,
            status=403,
            headers={"x-oss-request-id": "r"},
        )
        code = main(
            [
                "deploy",
                "--code-bucket",
                "my-code",
                "--packages",
                str(zips),
                "--parameter",
                "ArchiveBucket=my-archive",
            ]
        )
    captured = capsys.readouterr()

    assert code == 1
    assert "SignatureDoesNotMatch" in captured.err
    assert captured.err.count("\n") == 1
    assert SECRET not in captured.out + captured.err
