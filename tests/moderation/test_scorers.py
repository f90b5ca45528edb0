"""The external HTTP scorer, against a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from townhall.moderation import Policy
from townhall.moderation.scorers import HttpScorer, Scorer, sign, verify

SECRET = b"shared-secret"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((dict(self.headers), body))
        if self.server.delay:
            time.sleep(self.server.delay)
        ok = verify(
            SECRET,
            self.headers.get("X-Townhall-Timestamp", ""),
            body,
            self.headers.get("X-Townhall-Signature", ""),
        )
        if not ok:
            self.send_response(401)
            self.end_headers()
            return
        texts = json.loads(body)["texts"]
        scores = [{"threat": 0.99 if "llama" in t else 0.0, "bogus": 5, "spam": 7} for t in texts]
        payload = json.dumps({"scores": scores}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    seen: list[tuple[dict[str, str], bytes]]
    delay: float


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.seen = []
    srv.delay = 0.0
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _url(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/score"


def test_it_sends_a_signed_request_and_reads_scores(server: _Server) -> None:
    scorer = HttpScorer(_url(server), SECRET)
    assert isinstance(scorer, Scorer)
    results = scorer.score(["the llama is coming for you", "hello"])
    assert [r.error for r in results] == [None, None]
    assert results[0].scores == {"threat": 0.99, "spam": 1.0}  # unknown dropped, clipped
    assert results[1].scores["threat"] == 0.0
    headers, body = server.seen[0]
    assert json.loads(body)["texts"] == ["the llama is coming for you", "hello"]
    assert headers["X-Townhall-Signature"] == sign(SECRET, headers["X-Townhall-Timestamp"], body)


def test_a_wrong_secret_is_refused_by_the_receiver(server: _Server) -> None:
    results = HttpScorer(_url(server), b"wrong").score(["hello"])
    assert results[0].error is not None
    assert "401" in results[0].error


def test_external_scores_raise_the_engine_scores(engine, server: _Server) -> None:
    policy = Policy(extra_scorers=(HttpScorer(_url(server), SECRET),))
    text = "The llama will visit the village fete."
    verdict = engine.judge(text, policy)
    assert verdict.scores["threat"] == pytest.approx(0.99)
    assert verdict.decision == "rejected"
    assert any(r.attribute == "threat" and r.guideline == "no_threats" for r in verdict.reasons)
    assert engine.judge(text).decision == "published"


@pytest.mark.parametrize(
    ("failure_policy", "decision"),
    [("hold", "pending"), ("publish", "published")],
)
def test_a_timeout_follows_the_failure_policy(
    engine, server: _Server, failure_policy: str, decision: str
) -> None:
    server.delay = 1.0
    scorer = HttpScorer(_url(server), SECRET, timeout=0.2, failure_policy=failure_policy)
    started = time.monotonic()
    verdict = engine.judge("A calm remark about the weather.", Policy(extra_scorers=(scorer,)))
    assert time.monotonic() - started < 0.9
    assert verdict.decision == decision
    if decision == "pending":
        assert verdict.reasons[0].attribute == "scorer_unavailable"


def test_an_unreachable_scorer_fails_without_raising() -> None:
    scorer = HttpScorer("http://127.0.0.1:9/score", SECRET, timeout=0.5)
    assert scorer.score(["hello"])[0].error is not None


def test_signatures_expire_and_detect_tampering() -> None:
    now = str(int(time.time()))
    good = sign(SECRET, now, b"{}")
    assert verify(SECRET, now, b"{}", good)
    assert not verify(SECRET, now, b"{ }", good)
    old = str(int(time.time()) - 3600)
    assert not verify(SECRET, old, b"{}", sign(SECRET, old, b"{}"))
    with pytest.raises(ValueError, match="http"):
        HttpScorer("file:///etc/passwd", SECRET)
