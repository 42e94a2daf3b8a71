#!/usr/bin/python3
"""page_cdp.py - drives a running headless Chromium through the DevTools
protocol (python3-websocket) for tests/test_page.c: opens ppgd's status page,
answers the HTTP Basic challenge the way a user answers the browser's prompt
(Fetch.authRequired), waits for the page's live data, clicks a push to open
its history, takes a screenshot of the whole page, and prints what the page
shows as one JSON object on stdout. It asserts nothing itself: the C test
compares the facts with what it pushed.

usage: page_cdp.py PORTFILE URL USER PASSWORD SCREENSHOT CLICK_PUSH_ID MIN_ROWS
  PORTFILE  Chromium's DevToolsActivePort (written with --remote-debugging-port=0)
Exit 0 with the JSON; 1 with a reason on stderr (timeout, protocol error).
"""

import base64
import json
import sys
import time
import urllib.request

import websocket

TIMEOUT = 30.0


class Cdp:
    """One DevTools session on a page target; events are handled as they come."""

    def __init__(self, ws_url, user, password):
        self.ws = websocket.create_connection(ws_url, timeout=10, suppress_origin=True)
        self.next_id = 0
        self.user = user
        self.password = password
        self.auth_challenges = 0
        self.exceptions = []
        self.log = []

    def _send(self, method, params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        return self.next_id

    def _event(self, m):
        method, p = m["method"], m.get("params", {})
        if method == "Fetch.requestPaused":
            self._send("Fetch.continueRequest", {"requestId": p["requestId"]})
        elif method == "Fetch.authRequired":
            self.auth_challenges += 1
            self._send("Fetch.continueWithAuth", {"requestId": p["requestId"], "authChallengeResponse": {
                "response": "ProvideCredentials", "username": self.user, "password": self.password}})
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.exceptions.append(d.get("exception", {}).get("description") or d.get("text", "?"))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            self.log.append("%s %s: %s" % (e.get("level"), e.get("source"), e.get("text")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning"):
            self.log.append("console.%s: %s" % (p["type"], " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer from Chromium")
        self.ws.settimeout(left)
        m = json.loads(self.ws.recv())
        if "method" in m:
            self._event(m)
        return m

    def call(self, method, params=None, timeout=15.0):
        mid = self._send(method, params)
        deadline = time.monotonic() + timeout
        while True:
            m = self._recv(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def pump(self, seconds):
        """Handles events for a while (the page's requests need answers)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._recv(deadline)
        except (TimeoutError, websocket.WebSocketTimeoutException):
            pass

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %s: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self.eval(expr)
            if v:
                return v
            self.pump(0.2)
        raise TimeoutError("timed out after %.0f s waiting for %s" % (timeout, what))


# What the page shows, read from its DOM (textContent: what a user reads).
FACTS = r"""(() => {
  const t = (e) => e ? e.textContent : null;
  const rows = [...document.querySelectorAll('#pushes tbody tr')].map((tr) => ({
    row: Number(tr.dataset.row), state: tr.dataset.state,
    push_id: t(tr.querySelector('.push-id')),
    push_id_elements: tr.querySelector('.push-id').children.length,
    state_text: t(tr.querySelector('td.state')),
    addresses: [...tr.querySelectorAll('.addr')].map((a) => ({
      address: t(a.querySelector('.mono')), state: a.dataset.state, text: a.textContent })),
  }));
  const counts = {};
  for (const e of document.querySelectorAll('#counts .tile'))
    counts[e.dataset.state] = Number(t(e.querySelector('.n')));
  const kv = (id) => [...document.querySelectorAll('#' + id + ' tbody tr')].map((tr) =>
    [...tr.cells].map((c) => c.textContent));
  const c = document.getElementById('chart');
  return {
    polls: Number(document.body.dataset.polls || 0), title: document.title,
    live: t(document.getElementById('live')),
    error_shown: !document.getElementById('error').hidden, error: t(document.getElementById('error')),
    rows, counts, health: kv('health'), queues: kv('queues'), bindings: kv('bindings'),
    chart: { points: Number(c.dataset.points || 0), accepted: Number(c.dataset.accepted || 0),
      delivered: Number(c.dataset.delivered || 0), failed: Number(c.dataset.failed || 0),
      width: c.width, height: c.height },
    legend: t(document.getElementById('legend')),
    images: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
    xss: window.__xss === undefined ? null : String(window.__xss),
    csp_violations: window.__csp || [],
  };
})()"""

HISTORY = r"""(() => {
  const h = document.getElementById('history');
  return { shown: !h.hidden, row: Number(h.dataset.row || 0),
    title: document.getElementById('history-title').textContent,
    deliveries: [...h.querySelectorAll('.delivery')].map((d) => ({
      state: d.dataset.state, head: d.querySelector('h3').textContent,
      history: [...d.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)) })) };
})()"""


def page_target(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10) as r:
        targets = json.load(r)
    for t in targets:
        if t.get("type") == "page":
            return t["webSocketDebuggerUrl"]
    raise RuntimeError("no page target in %s" % targets)


def main(argv):
    if len(argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    portfile, url, user, password, shot, click_id, min_rows = argv[1:]
    with open(portfile) as f:
        port = int(f.readline())
    cdp = Cdp(page_target(port), user, password)
    for m in ("Page.enable", "Runtime.enable", "Log.enable"):
        cdp.call(m)
    # The browser's Basic prompt, answered by the "user": every request
    # passes through Fetch so that the challenge surfaces as authRequired.
    cdp.call("Fetch.enable", {"handleAuthRequests": True, "patterns": [{"urlPattern": "*"}]})
    # Before any script of the page: record CSP violations and leave
    # window.__xss unset (a push-id that ran would set it).
    cdp.call("Page.addScriptToEvaluateOnNewDocument", {"source":
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "(e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"})
    cdp.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 1,
                                                     "mobile": False})
    nav = cdp.call("Page.navigate", {"url": url})
    if nav.get("errorText"):
        raise RuntimeError("navigate: " + nav["errorText"])

    # Live data, not the static document: a poll that listed the pushes,
    # then one more poll (the page keeps updating itself).
    cdp.wait_for("document.body && Number(document.body.dataset.polls || 0) >= 1 && "
                 "document.querySelectorAll('#pushes tbody tr').length >= %d" % int(min_rows),
                 "the first poll with %s pushes" % min_rows)
    polls = cdp.eval("Number(document.body.dataset.polls)")
    cdp.wait_for("Number(document.body.dataset.polls) > %d" % polls, "a second poll")
    facts = cdp.eval(FACTS)

    # Click the push (a real mouse click at the row's place).
    box = cdp.eval("(() => { const id = %s; for (const tr of document.querySelectorAll('#pushes tbody tr')) "
                   "if (tr.querySelector('.push-id').textContent === id) { tr.scrollIntoView({block: 'center'}); "
                   "const r = tr.getBoundingClientRect(); return {x: r.left + 40, y: r.top + r.height / 2, "
                   "row: Number(tr.dataset.row)}; } return null; })()" % json.dumps(click_id))
    if not box:
        raise RuntimeError("no row for push-id %r" % click_id)
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        cdp.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                               "clickCount": 1})
    cdp.wait_for("(() => { const h = document.getElementById('history'); return !h.hidden && "
                 "Number(h.dataset.row) === %d && h.querySelectorAll('.delivery').length > 0; })()" % box["row"],
                 "the history of row %d" % box["row"])
    facts["clicked_row"] = box["row"]
    facts["history"] = cdp.eval(HISTORY)

    # The whole page, history open, after one more poll.
    polls = cdp.eval("Number(document.body.dataset.polls)")
    cdp.wait_for("Number(document.body.dataset.polls) > %d" % polls, "a poll with the history open")
    cdp.eval("window.scrollTo(0, 0)")
    height = int(cdp.call("Page.getLayoutMetrics")["cssContentSize"]["height"]) + 1
    cdp.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": min(height, 4000),
                                                     "deviceScaleFactor": 1, "mobile": False})
    cdp.pump(0.5)
    png = base64.b64decode(cdp.call("Page.captureScreenshot", {"format": "png"})["data"])
    with open(shot, "wb") as f:
        f.write(png)
    facts["screenshot_bytes"] = len(png)
    final = cdp.eval(FACTS)
    facts["xss"] = final["xss"]
    facts["csp_violations"] = final["csp_violations"]
    facts["images"] = final["images"]
    facts["auth_challenges"] = cdp.auth_challenges
    facts["exceptions"] = cdp.exceptions
    facts["log"] = cdp.log
    print(json.dumps(facts, indent=1))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # the reason for the C test's log
        print("page_cdp: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
